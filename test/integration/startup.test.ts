// Starting minicloud: what it says when Redis is missing, and what it makes on first start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mc-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('without REDIS_URL and without redis-server on PATH, exits saying how to get one', () => {
  // A PATH with node and git but no redis-server.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const git = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
  symlinkSync(git, join(bin, 'git'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, MINICLOUD_DATA: join(dir, 'data'), MINICLOUD_API_PORT: '0', MINICLOUD_HTTP_PORT: '0' };
  delete env.REDIS_URL;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('redis-server was not found on PATH');
  expect(r.stderr).toMatch(/apt-get install redis-server.*REDIS_URL/);
});

it('keeps its state directory private', () => {
  expect(statSync(join(dir, 'data')).mode & 0o077).toBe(0);
});
