// Starting minicloud: what it says when Redis is missing or its port is taken, and what it makes on first start.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { MINICLOUD_MAIN } from '../helpers/minicloud.ts';
import { freePort } from '../helpers/net.ts';

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
  const r = spawnSync(process.execPath, [MINICLOUD_MAIN], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('redis-server was not found on PATH');
  expect(r.stderr).toMatch(/apt-get install redis-server.*REDIS_URL/);
});

it('keeps its state directory private', () => {
  expect(statSync(join(dir, 'data')).mode & 0o077).toBe(0);
});

/** Processes whose command line names `text` (a private redis-server names its socket). */
function processesNaming(text: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text); } catch { return false; }
  }).map(Number);
}

it('with its API port taken, exits saying so, and stops the private Redis it had started', async () => {
  const taken = createServer();
  const port = await freePort();
  await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
  const home = join(dir, 'taken');
  mkdirSync(home);
  chmodSync(dir, 0o755); // as root, apps' users must be able to pass through to the data dir
  const env: NodeJS.ProcessEnv = {
    ...process.env, MINICLOUD_DATA: join(home, 'data'), MINICLOUD_API_PORT: String(port), MINICLOUD_BIND: '127.0.0.1',
    MINICLOUD_HTTP_PORT: '0', MINICLOUD_HTTPS_PORT: 'off', MINICLOUD_RUNTIME: 'process', MINICLOUD_APP_USER_PREFIX: `mc${randomBytes(3).toString('hex')}-`,
  };
  delete env.REDIS_URL;
  try {
    const child = spawn(process.execPath, [MINICLOUD_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, out + err).toBe(1);
    expect(out).toContain('started a private redis-server');
    expect(err).toContain(`port ${port} on 127.0.0.1 is in use, so the API cannot listen there`);
    expect(err).toContain('set MINICLOUD_API_PORT');
    expect(processesNaming(join(home, 'data', 'redis', 'redis.sock'))).toEqual([]);
  } finally {
    taken.close();
  }
});
