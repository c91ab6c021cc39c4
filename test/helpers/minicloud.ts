// Test helper: minicloud itself, started as `npm start` would (a real process on real ports, its compiled build).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './net.ts';
import { pidIn, ROUTER_DAEMON, signalIf } from './proc.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What `npm start` runs with plain node: the build of src/main.ts (made fresh by test/global-setup.ts). */
export const MINICLOUD_MAIN = join(ROOT, 'dist/src/main.js');

export interface Minicloud {
  apiUrl: string;
  apiPort: number;
  httpPort: number;
  /** The router's HTTPS port (MINICLOUD_HTTPS_PORT, unless extraEnv sets it). */
  httpsPort: number;
  token: string;
  dataDir: string;
  gitUrl(app: string, token?: string): string;
  output(): string;
  /** minicloud's process id (the isolation tests aim at it). */
  pid(): number | undefined;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Runs the real CLI against this server. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The same with another token in MINICLOUD_TOKEN (a scoped one, as CI would have). */
  cliAs(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Restarts it, with `env` changed first (e.g. a new MINICLOUD_TOKEN: api() then uses it). */
  restart(env?: Record<string, string>): Promise<void>;
  /** `kill -9` of minicloud (no chance to clean up), returning once it is gone; `start()` brings it back. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMinicloud(redisUrl: string, extraEnv: Record<string, string> = {}): Promise<Minicloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-data-'));
  const token = randomBytes(16).toString('hex');
  const apiPort = await freePort();
  const httpPort = await freePort();
  const httpsPort = await freePort(); // tests run side by side: never the default 8443
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const env = {
    ...process.env,
    MINICLOUD_DATA: dataDir, MINICLOUD_API_PORT: String(apiPort), MINICLOUD_HTTP_PORT: String(httpPort), MINICLOUD_HTTPS_PORT: String(httpsPort),
    MINICLOUD_BIND: '127.0.0.1', MINICLOUD_ROUTER_BIND: '127.0.0.1', MINICLOUD_TOKEN: token, REDIS_URL: redisUrl,
    MINICLOUD_REDIS_PREFIX: `mc-test-${randomBytes(4).toString('hex')}`, MINICLOUD_DRAIN_TIMEOUT: '0.2',
    // Tests run as root side by side: each server's per-app Unix users get their own names.
    MINICLOUD_APP_USER_PREFIX: `mc${randomBytes(3).toString('hex')}-`,
    // npm test starts a Docker engine (DOCKER_HOST): tests run on host processes unless they ask for Docker.
    MINICLOUD_RUNTIME: 'process',
    ...extraEnv,
  };
  let child: ChildProcess | null = null;
  let out = '';

  const boot = () => new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, [MINICLOUD_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    // A ceiling for a busy machine (it starts in seconds when idle): what it waited for, and what minicloud said.
    const timer = setTimeout(() => reject(new Error(`waited 180 s for minicloud to say "minicloud is up", in vain:\n${out}`)), 180_000);
    const from = out.length;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.slice(from).includes('minicloud is up')) { clearTimeout(timer); resolve(); }
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', onData);
    c.on('exit', (code) => { clearTimeout(timer); reject(new Error(`minicloud exited with ${code}:\n${out}`)); });
  });

  /** Stops it. A push in progress keeps the old process alive as a relay: then it is done once it says so. */
  const halt = () => new Promise<void>((resolve) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    const from = out.length;
    const check = () => { if (out.slice(from).includes('Handing')) resolve(); else if (c.exitCode === null) setTimeout(check, 50); };
    check();
    c.kill('SIGTERM');
  });

  const api: Minicloud['api'] = async (method, path, body) => {
    const res = await fetch(apiUrl + path, {
      method, headers: { authorization: `Bearer ${env.MINICLOUD_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
  };

  const runCli = (t: string, args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [join(ROOT, 'scripts/minicloud.mjs'), ...args], {
      cwd: dataDir, env: { ...process.env, MINICLOUD_URL: apiUrl, MINICLOUD_TOKEN: t, XDG_CONFIG_HOME: dataDir },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });

  await boot();
  return {
    apiUrl, apiPort, httpPort: Number(env.MINICLOUD_HTTP_PORT), httpsPort: Number(env.MINICLOUD_HTTPS_PORT), token, dataDir, api,
    gitUrl: (app, t = token) => `http://minicloud:${t}@127.0.0.1:${apiPort}/git/${app}.git`,
    output: () => out,
    pid: () => (child as ChildProcess | null)?.pid,
    cli: (...args) => runCli(env.MINICLOUD_TOKEN, args),
    cliAs: (t, ...args) => runCli(t, args),
    restart: async (changed = {}) => { await halt(); Object.assign(env, changed); await boot(); },
    crash: () => new Promise<void>((resolve) => {
      const c = child as ChildProcess | null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    }),
    start: () => boot(),
    stop: async () => {
      // Apps outlive minicloud by design; a test run must not leave them behind.
      const apps = await api<{ name: string }[]>('GET', '/api/apps').catch(() => null);
      for (const a of Array.isArray(apps?.body) ? apps.body : []) await api('DELETE', `/api/apps/${a.name}?confirm=${a.name}`).catch(() => {});
      await halt();
      await new Promise<void>((r) => (child?.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
      // The router daemon outlives minicloud by design too (its workers follow it out).
      signalIf(pidIn(join(dataDir, 'router', 'router.pid')), 'SIGKILL', ROUTER_DAEMON);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
