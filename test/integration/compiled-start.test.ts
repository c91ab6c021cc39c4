// minicloud runs compiled JavaScript (scripts/build.mjs, dist/): a fresh clone's `node scripts/start.mjs` builds it
// once and runs it with plain node (no tsx or esbuild process among minicloud's processes, /proc says), a later start
// finds it fresh, and a source edited after a build takes effect on the next start, with one line saying so.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.ts';
import { descendants } from '../helpers/proc.ts';
import { pidIn, ROUTER_DAEMON, signalIf } from '../helpers/proc.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mc-compiled-'));
const clone = join(dir, 'minicloud');
const data = join(dir, 'data');
let env: NodeJS.ProcessEnv;
const running: ChildProcess[] = [];

/** `node scripts/start.mjs` in the clone, until it says it is up; its output so far. */
async function start(): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`waited 180 s for "minicloud is up":\n${out}`)), 180_000);
    const onData = (d: Buffer) => { out += d.toString(); if (out.includes('minicloud is up')) { clearTimeout(timer); resolve(); } };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`start.mjs exited with ${code}:\n${out}`)); });
  });
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  // The router daemon outlives minicloud by design.
  signalIf(pidIn(join(data, 'router', 'router.pid')), 'SIGKILL', ROUTER_DAEMON);
}

beforeAll(async () => {
  chmodSync(dir, 0o755); // as root, apps run as their own users, who must pass through it to their releases
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'));
  env = {
    ...process.env, MINICLOUD_DATA: data, MINICLOUD_API_PORT: String(await freePort()), MINICLOUD_HTTP_PORT: String(await freePort()),
    MINICLOUD_HTTPS_PORT: String(await freePort()), MINICLOUD_BIND: '127.0.0.1', MINICLOUD_ROUTER_BIND: '127.0.0.1', MINICLOUD_RUNTIME: 'process',
    MINICLOUD_ROUTER_WORKERS: '2',
  };
  delete env.REDIS_URL; // its own Redis, as on its defaults
});

afterAll(async () => {
  for (const c of running) await stop(c);
  rmSync(dir, { recursive: true, force: true });
});

describe('minicloud runs its compiled build', () => {
  it('a fresh clone builds dist/ once, then runs it with plain node: no tsx or esbuild among its processes', async () => {
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const { child, out } = await start();
    expect(out()).toContain('-----> Building minicloud (TypeScript to JavaScript, into dist/)');
    expect(existsSync(join(clone, 'dist', 'src', 'main.js'))).toBe(true);
    // Nothing but the build swapped in: no half-built directory left beside it.
    expect(readdirSync(clone).filter((n) => n.startsWith('.dist-'))).toEqual([]);
    const procs = [{ pid: child.pid!, cmd: readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ') }, ...descendants(child.pid!)];
    // minicloud, its Redis, the router daemon and its two workers.
    expect(procs.map((p) => p.cmd).join('\n')).toMatch(/redis-server[\s\S]*minicloud-router[\s\S]*dist\/proxy\/daemon\/worker\.js[\s\S]*dist\/proxy\/daemon\/worker\.js/);
    for (const p of procs) expect(p.cmd, `process ${p.pid}`).not.toMatch(/tsx|esbuild/);
    await stop(child);
  });

  it('a later start finds the build fresh and says nothing about it', async () => {
    const { child, out } = await start();
    expect(out()).not.toMatch(/Building minicloud|rebuilding/);
    await stop(child);
  });

  it('a source edited after the build takes effect on the next start, with one line saying it was rebuilt', async () => {
    const file = join(clone, 'src', 'server', 'admin-edge.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('`minicloud is up: API and git', '`minicloud is up (edited): API and git'));
    const { child, out } = await start();
    expect(out().match(/rebuilding/g)).toEqual(['rebuilding']);
    expect(out()).toContain('-----> The sources changed since the last build: rebuilding minicloud (dist/)');
    expect(out()).toContain('minicloud is up (edited): API and git');
    await stop(child);
  });

  it('`node scripts/build.mjs` says when the build is fresh, and a build that fails leaves the last good one', () => {
    expect(execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: clone, encoding: 'utf8' })).toContain("minicloud's build (dist/) is up to date with its sources");
    const good = readFileSync(join(clone, 'dist', '.source-hash'), 'utf8');
    writeFileSync(join(clone, 'src', 'broken.ts'), 'export const x = ;\n');
    try {
      const r = spawnSyncNode(['scripts/build.mjs']);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain('broken.ts');
      expect(r.out).toContain('the build failed');
      expect(readFileSync(join(clone, 'dist', '.source-hash'), 'utf8')).toBe(good);
      expect(readdirSync(clone).filter((n) => n.startsWith('.dist-'))).toEqual([]);
    } finally {
      rmSync(join(clone, 'src', 'broken.ts'));
    }
  });
});

function spawnSyncNode(args: string[]): { status: number | null; out: string } {
  try {
    return { status: 0, out: execFileSync(process.execPath, args, { cwd: clone, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { status: number | null; stdout?: string; stderr?: string };
    return { status: err.status, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
