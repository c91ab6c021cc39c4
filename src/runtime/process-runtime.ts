// The host-process runtime (Piku-style): each instance is a detached process group, logs to a file.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync } from 'node:fs';
import { baseEnv, createLogger, ownTree, processStart, runCommand, shellAs, type AppUser, type AppUsers, type Logger } from '../core/index.ts';
import { AppLogs } from './app-logs.ts';
import { freePort } from './free-port.ts';
import { linkVolumes, storageEnv } from './link-volumes.ts';
import type { PortGuard } from './port-guard.ts';
import { releaseDir, type InstanceSpec, type LogOptions, type RunningInstance, type Runtime } from './runtime.ts';

interface Handle { pid: number; start: string; port?: number }

export interface ProcessRuntimeOptions {
  /** Per-app Unix users (minicloud as root): each app's processes run as its own. */
  users?: AppUsers;
  /** Firewall rules closing each instance's port to other apps and other hosts (with `users`). */
  guard?: PortGuard;
  /** app.log's size limit (bytes; APP_LOG_MAX_BYTES by default); the processes write it themselves, so it is looked at every 2 s. */
  logMaxBytes?: number;
  /** The operator's log: firewall rules that could not be removed. */
  log?: Logger;
}

const parse = (handle: string): Handle => JSON.parse(handle) as Handle;
const alive = (h: Handle) => processStart(h.pid) === h.start;

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  private readonly listeners: Array<(handle: string, code: number | null) => void> = [];
  private readonly watched = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private readonly log: Logger;

  private readonly files: AppLogs;

  constructor(logDir: string, private readonly o: ProcessRuntimeOptions = {}) {
    this.log = o.log ?? createLogger({ label: 'runtime' });
    this.files = new AppLogs(logDir, o.logMaxBytes);
    this.files.watch();
  }

  /** One file per app: every instance appends to it, and it outlives releases (`minicloud logs`). */
  logFile(app: string): string {
    return this.files.file(app);
  }

  appendLog(app: string, line: string): void {
    this.files.append(app, line);
  }

  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const user = await this.prepare(spec);
    const port = await freePort();
    if (user) await this.o.guard?.open(port, user.uid);
    const file = this.files.prepare(spec.app);
    const fd = openSync(file, 'a', 0o600);
    // Detached with its output on a file, not a pipe: the app outlives a restart of minicloud.
    const sh = shellAs(`exec ${spec.command}`, user ?? undefined);
    const child = spawn(sh.file, sh.args, {
      cwd: releaseDir(spec), env: this.env(spec, port, user), stdio: ['ignore', fd, fd], detached: true, ...sh.ids,
    });
    closeSync(fd);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`could not start ${spec.command}: ${e.message}`)));
    }).catch(async (e: unknown) => { await this.o.guard?.close(port); throw e; });
    const pid = child.pid!;
    const handle = JSON.stringify({ pid, start: processStart(pid) ?? '', ...(user && this.o.guard && { port }) } satisfies Handle);
    child.on('exit', (code) => this.exited(handle, code));
    child.unref();
    return { handle, pid, host: '127.0.0.1', port };
  }

  /** The release and its volumes ready for the app's user (a release built before per-app users is handed over). */
  private async prepare(spec: InstanceSpec): Promise<AppUser | null> {
    if (!existsSync(releaseDir(spec))) throw new Error(`release directory ${releaseDir(spec)} is gone`);
    const made = (await this.o.users?.ensure(spec.app)) ?? null;
    const user = made && { ...made, nproc: spec.pids ?? made.nproc }; // resources:set pids=
    if (user && lstatSync(releaseDir(spec)).uid !== user.uid) await ownTree(releaseDir(spec), user);
    await linkVolumes(spec, user);
    return user;
  }

  /** The app's config, then what the runtime decides: its port, loopback only, and its user's home and temp dir. */
  private env(spec: InstanceSpec, port: number, user: AppUser | null): Record<string, string> {
    return baseEnv({
      HOST: '127.0.0.1', ...spec.env, PORT: String(port), DYNO: `${spec.type}.${spec.id.slice(0, 8)}`,
      // Host processes cannot share the host's /data: their storage is `./data`, a link in the release directory.
      ...storageEnv(spec),
      ...(user && this.o.users?.env(user)),
    });
  }

  /** The fenced ports of those of `handles` whose process still runs (a start's sweep keeps their rules). */
  livePorts(handles: Array<string | null>): number[] {
    return handles.flatMap((handle) => {
      if (!handle) return [];
      const h = parse(handle);
      return h.port && alive(h) ? [h.port] : [];
    });
  }

  async adopt(handle: string): Promise<boolean> {
    const h = parse(handle);
    if (!alive(h)) return false;
    // Not our child any more: poll, since no exit event will come.
    const timer = setInterval(() => { if (!alive(h)) this.exited(handle, null); }, 1000);
    timer.unref();
    this.watched.set(handle, timer);
    return true;
  }

  async stop(handle: string, graceMs: number): Promise<void> {
    const h = parse(handle);
    if (!alive(h)) return;
    const signal = (sig: NodeJS.Signals) => { try { process.kill(-h.pid, sig); } catch { /* gone */ } };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(h) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(h)) signal('SIGKILL');
    while (alive(h)) await new Promise((r) => setTimeout(r, 20));
    if (h.port) await this.o.guard?.close(h.port).catch((e: Error) => this.log.warn(`firewall rules of port ${h.port}: ${e.message}`));
  }

  onExit(listener: (handle: string, code: number | null) => void): void {
    this.listeners.push(listener);
  }

  private exited(handle: string, code: number | null): void {
    if (this.closed) return; // minicloud is stopping: the next process adopts or restarts it
    const timer = this.watched.get(handle);
    if (timer) clearInterval(timer);
    this.watched.delete(handle);
    const port = parse(handle).port;
    if (port) this.o.guard?.close(port).catch((e: Error) => this.log.warn(`firewall rules of port ${port}: ${e.message}`));
    for (const l of this.listeners) l(handle, code);
  }

  async run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
    const user = await this.prepare(spec);
    const port = await freePort();
    const env = this.env(spec, port, user);
    return runCommand(spec.command, { cwd: releaseDir(spec), env, onLine, signal, ...(user && { user }) });
  }

  logs(app: string, opts: LogOptions): AsyncIterable<string> {
    return this.files.tail(app, opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.files.close();
    for (const t of this.watched.values()) clearInterval(t);
    this.watched.clear();
  }
}
