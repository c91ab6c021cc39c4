// Finds the router daemon of this data dir, or starts it: detached, in a session of its own, so it outlives minicloud.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, chmodSync, openSync, readFileSync, statSync } from 'node:fs';
import { CHECKOUT, entryPoint, UserError } from '../core/index.ts';
import { codeHash, statePaths, writeState, PROTOCOL, type CertSet, type DaemonSettings, type DaemonStatus, type Route } from '../../proxy/daemon/protocol.ts';
import { ControlClient } from './control-client.ts';

// Its build with plain node when minicloud runs its build (npm start), so no tsx or esbuild process is resident.
const DAEMON = entryPoint('proxy/daemon/main.ts');

export interface EnsureOptions {
  dir: string;
  settings: DaemonSettings;
  /** What a newly started daemon serves from its first request (minicloud pushes them again once connected). */
  routes: Route[];
  certs: CertSet | null;
  say: (line: string) => void;
  /** Do not start it: wait for the one a container or service manager starts (it reads the settings written here). */
  external?: boolean;
}

/** How long minicloud waits for an external daemon (a container restarting) to answer with its settings. */
const EXTERNAL_WAIT_MS = 90_000;

/**
 * The running daemon when it speaks this protocol with these settings (its workers restarted, without a
 * failed request, when the router's code on disk changed); else a new one, the old one stopped first.
 */
export async function ensureRouterDaemon(o: EnsureOptions): Promise<{ client: ControlClient; status: DaemonStatus; started: boolean }> {
  const p = statePaths(o.dir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  const client = new ControlClient(p.socket);
  let status = await client.status();
  if (status && status.protocol === PROTOCOL && same(status.settings, o.settings)) {
    // An external daemon runs its own image's code: replacing it is its installer's business.
    if (!o.external && status.code !== codeHash(CHECKOUT)) {
      o.say('Router: its code changed on disk; starting new workers (the old ones finish what they serve)');
      await client.restart();
      status = (await client.status()) ?? status;
    }
    return { client, status, started: false };
  }
  if (status) {
    o.say(`Router: the running one (pid ${status.pid}) has other settings; replacing it (a brief gap in service)`);
    await client.stop().catch(() => {});
    await exited(status.pid, o.settings.drainMs + 10_000);
  }
  writeState(p.settings, o.settings);
  writeState(p.routes, o.routes);
  if (o.certs) writeState(p.certs, o.certs);
  if (o.external) return { client, status: await external(client, o), started: false };
  const from = size(p.log);
  const out = openSync(p.log, 'a', 0o600);
  // Only what it needs: minicloud's environment carries tokens and passwords the router has no use for.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.MINICLOUD_ROUTER_NODE_FLAGS) env.MINICLOUD_ROUTER_NODE_FLAGS = process.env.MINICLOUD_ROUTER_NODE_FLAGS;
  const child = spawn(process.execPath, [...DAEMON.execArgv, DAEMON.file, p.dir], { cwd: CHECKOUT, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && exitCode === null) {
    status = await client.status(1000);
    if (status) return { client, status, started: true };
    await new Promise((r) => setTimeout(r, 100));
  }
  const said = readFileSync(p.log, 'utf8').slice(from).trim().split('\n').slice(-5).join('\n');
  const inUse = /EADDRINUSE|in use/.test(said);
  throw new UserError(
    `the router could not start${exitCode !== null ? ` (exit ${exitCode})` : ' within 30 s'}: ${said || 'it said nothing'}`,
    inUse ? `another program listens on port ${o.settings.port}${o.settings.httpsPort ? ` or ${o.settings.httpsPort}` : ''}: stop it, or set MINICLOUD_HTTP_PORT / MINICLOUD_HTTPS_PORT` : `see ${p.log}`,
  );
}

/** Waits for the daemon someone else starts (it waits for the settings just written, or restarts to read them). */
async function external(client: ControlClient, o: EnsureOptions): Promise<DaemonStatus> {
  o.say(`Router: waiting for the router daemon to answer on ${statePaths(o.dir).socket}`);
  const deadline = Date.now() + EXTERNAL_WAIT_MS;
  while (Date.now() < deadline) {
    const status = await client.status(1000);
    if (status && same(status.settings, o.settings)) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new UserError(`the router daemon did not answer within ${EXTERNAL_WAIT_MS / 1000} s (MINICLOUD_ROUTER=external: minicloud does not start it)`,
    'start it (on an installed server: docker start minicloud-router; docker logs minicloud-router says why it stopped)');
}

function same(a: DaemonSettings, b: DaemonSettings): boolean {
  const norm = (s: DaemonSettings) => JSON.stringify(Object.entries(s).filter(([, v]) => v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return norm(a) === norm(b);
}

/** Waits for a process to end (its ports freed with it), `ms` at most; whether it did. */
export async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function size(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}
