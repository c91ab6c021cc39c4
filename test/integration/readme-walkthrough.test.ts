// The README's "60 seconds" walkthrough, run literally as a new user would: a fresh clone, `npm start` with no
// settings (./data inside the checkout, a private redis-server), then the README's own commands, then the URL.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopRouterDaemon } from '../../src/router-daemon/index.ts';
import { freePort as pickPort } from '../../src/runtime/free-port.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```sh blocks of one README section, each as its command lines (comments and blank lines dropped). */
function shellBlocks(readme: string, heading: string): string[][] {
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A port free on every address, below the ephemeral range (where no outgoing connection takes it meanwhile). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await pickPort();
    if (await portFree(port)) return port;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mc-readme-'));
const clone = join(dir, 'minicloud');
const home = join(dir, 'home');
let server: ChildProcess | null = null;
let out = '';
/** The default ports, or (only when one is taken on this shared machine) free ones in their place. */
const ports = { api: 7080, http: 8080, https: 8443 };
let env: NodeJS.ProcessEnv;

function userEnv(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, GIT_TERMINAL_PROMPT: '0' };
  // A new user has none of the suite's settings: no MINICLOUD_*, no REDIS_URL, no Docker engine of the suite's.
  for (const k of Object.keys(e)) if (k.startsWith('MINICLOUD_') || k.startsWith('GIT_CONFIG')) delete e[k];
  for (const k of ['REDIS_URL', 'DOCKER_HOST', 'XDG_CONFIG_HOME', 'NODE_OPTIONS', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV']) delete e[k];
  // `git commit` needs a name; a real user has one in ~/.gitconfig.
  Object.assign(e, { GIT_AUTHOR_NAME: 'New User', GIT_AUTHOR_EMAIL: 'new@example.com', GIT_COMMITTER_NAME: 'New User', GIT_COMMITTER_EMAIL: 'new@example.com' });
  return e;
}

beforeAll(async () => {
  // Like a home directory (mkdtemp makes it 0700): as root, minicloud runs apps as their own users, who must pass.
  chmodSync(dir, 0o755);
  mkdirSync(home);
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  // The suite's dependencies stand in for `npm ci`; a lockfile older than them tells `npm start` they are current.
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(clone, 'node_modules'));
  utimesSync(join(clone, 'package-lock.json'), new Date(0), new Date(0));
  env = userEnv();
  if (!(await portFree(ports.api))) { ports.api = await freePort(); env.MINICLOUD_API_PORT = String(ports.api); env.MINICLOUD_URL = `http://localhost:${ports.api}`; }
  if (!(await portFree(ports.http))) { ports.http = await freePort(); env.MINICLOUD_HTTP_PORT = String(ports.http); }
  if (!(await portFree(ports.https))) { ports.https = await freePort(); env.MINICLOUD_HTTPS_PORT = String(ports.https); }
});

afterAll(async () => {
  // Apps outlive minicloud by design: remove the walkthrough's app before stopping it.
  try {
    const token = readFileSync(join(clone, 'data', 'admin.token'), 'utf8').trim();
    await fetch(`http://127.0.0.1:${ports.api}/api/apps/hello?confirm=hello`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  } catch { /* never started */ }
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    // Only while its group leader is ours: once reaped, its pid (and so the group id) may be another process's.
    if (server.exitCode === null && server.signalCode === null) try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  // The router daemon outlives minicloud by design, and writes its logs under ./data until it stops.
  await stopRouterDaemon(join(clone, 'data', 'router')).catch(() => {});
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("the README's 60 seconds, on a fresh clone with no settings", () => {
  const [start, steps, check] = shellBlocks(README, '60 seconds: from nothing to a live app');

  it('says `npm start`, then commands that never run `npx minicloud`', () => {
    expect(start).toEqual(['npm start']);
    expect(steps!.length).toBeGreaterThan(2);
    expect(check).toEqual(['curl http://hello.localhost:8080/']);
    for (const block of README.matchAll(/```sh\n([\s\S]*?)```/g)) expect(block[1]).not.toMatch(/\bnpx minicloud\b/);
  });

  it('`npm start` starts it on its defaults, the admin token kept out of its output', async () => {
    server = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get to its admin token line in 120 s:\n${out}`)), 120_000);
      const onData = (d: Buffer) => { out += d.toString(); if (out.includes('Admin token:')) { clearTimeout(timer); resolve(); } };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      server!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${code}:\n${out}`)); });
    });
    const data = join(clone, 'data');
    // 0700, or 0711 as root, where each app's own Unix user must pass through it (README: Isolation model).
    expect([0o700, 0o711]).toContain(statSync(data).mode & 0o777);
    expect(statSync(join(data, 'admin.token')).mode & 0o777).toBe(0o600);
    expect(out).toContain(`Admin token: new, in ${join(realpathSync(clone), 'data', 'admin.token')}`);
    expect(out).not.toContain(readFileSync(join(data, 'admin.token'), 'utf8').trim());
  });

  it('the README commands create the app, push it and it answers', () => {
    const port = (line: string) => line.replaceAll(':8080', `:${ports.http}`).replaceAll(':7080', `:${ports.api}`);
    const script = join(dir, 'walkthrough.sh');
    writeFileSync(script, ['set -e', ...steps!, ...check!].map(port).join('\n') + '\n');
    let output: string;
    try {
      output = execFileSync('bash', ['-O', 'expand_aliases', script], { cwd: clone, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`the walkthrough failed:\n${err.stdout}\n${err.stderr}\n--- minicloud:\n${out}`);
    }
    expect(output).toContain('-----> Created hello');
    expect(output).toContain('Git remote minicloud added');
    expect(output).not.toContain('git remote add');
    expect(JSON.parse(output.slice(output.lastIndexOf('{')))).toMatchObject({ version: 'v1', path: '/' });
    // Nothing was added to minicloud's own checkout.
    expect(execFileSync('git', ['remote'], { cwd: clone, encoding: 'utf8' }).trim()).toBe('origin');
  });
});
