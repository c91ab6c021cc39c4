// The host-process runtime (Piku-style): each instance a detached process group in its own cgroup where the host allows, logs to a file.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, lstatSync, openSync } from 'node:fs';
import {
  ProcessGroup, ProcessGroups, baseEnv, createLogger, killGroup, mark, ownTree, processStart, runCommand, shellAs, spawnIn,
  type AppUser, type AppUsers, type Confinement, type Group, type Limits, type Logger,
} from '../core/index.ts';
import { sumActivity } from './activity.ts';
import { AppLogs } from './app-logs.ts';
import { freePort } from './free-port.ts';
import { canTag, startTagger } from './log-tagger.ts';
import { linkVolumes, storageEnv } from './link-volumes.ts';
import type { PortGuard } from './port-guard.ts';
import { WarmPorts } from './warm-ports.ts';
import { ptyConsole } from './pty-console.ts';
import {
  instanceName, releaseDir, type Activity, type ConsoleOptions, type ExitReason, type InstanceSpec, type LogOptions, type RunningInstance, type Runtime,
} from './runtime.ts';

/** The leader's pid and start time; the fenced port; the cgroup's name, the app and its memory limit (for the OOM line). */
interface Handle { pid: number; start: string; port?: number; cg?: string; app?: string; mb?: number }

export interface ProcessRuntimeOptions {
  /** Per-app Unix users (minicloud as root): each app's processes run as its own. */
  users?: AppUsers;
  /** Firewall rules closing each instance's port to other apps and other hosts (with `users`). */
  guard?: PortGuard;
  /** app.log's size limit (bytes; APP_LOG_MAX_BYTES by default); the processes write it themselves, so it is looked at every 2 s. */
  logMaxBytes?: number;
  /** The operator's log: firewall rules that could not be removed. */
  log?: Logger;
  /** What instances and one-offs run in: cgroups with the app's limits, or (by default) process groups. */
  confine?: Confinement;
  /** The limits of an app that set none (resources:set): the server's defaults. */
  defaults?: Limits;
}

const parse = (handle: string): Handle => JSON.parse(handle) as Handle;
/**
 * `<app>.<type>.<id>.<nonce>`: an app's groups are found by their prefix (app names have no dot). The nonce: a
 * restart in place keeps the instance's id, and its new processes must not land in the group the stop of the old
 * ones is still emptying.
 */
const groupName = (spec: Pick<InstanceSpec, 'app' | 'type' | 'id'>) => `${spec.app}.${spec.type}.${spec.id}.${randomBytes(3).toString('hex')}`;
const alive = (h: Handle) => processStart(h.pid) === h.start;

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  private readonly listeners: Array<(handle: string, code: number | null, reason: ExitReason) => void> = [];
  /** Handles being stopped: their leader's exit leaves the rest of the group its grace time. */
  private readonly stopping = new Set<string>();
  readonly confine: Confinement;
  private readonly watched = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private readonly log: Logger;

  private readonly files: AppLogs;
  private readonly warm: WarmPorts | null;
  /** Whether instances' lines go through the tagging filter (log-tagger.ts): where the host has perl. */
  private readonly tagged = canTag();

  constructor(logDir: string, private readonly o: ProcessRuntimeOptions = {}) {
    this.log = o.log ?? createLogger({ label: 'runtime' });
    this.confine = o.confine ?? new ProcessGroups('not set up');
    this.files = new AppLogs(logDir, o.logMaxBytes);
    this.warm = o.users && o.guard ? new WarmPorts(o.users, o.guard, this.log) : null;
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
    const warm = user ? ((await this.warm?.take(spec.app, user.uid)) ?? null) : null;
    const port = warm ?? (await freePort());
    if (user && warm === null) await this.o.guard?.open(port, user.uid);
    const limits = this.limits(spec);
    const group = this.confine.create(groupName(spec), limits);
    const sh = shellAs(`exec ${spec.command}`, user ?? undefined);
    // Detached, its output on a file or through the tagging filter, never a pipe to minicloud: the app outlives a restart of minicloud.
    const fd = this.output(spec, group, sh.ids);
    const child = await new Promise<ReturnType<typeof spawnIn>>((resolve, reject) => {
      const c = spawnIn(group.name ? group : undefined, sh.file, sh.args, {
        cwd: releaseDir(spec), env: this.env(spec, port, user), stdio: ['ignore', fd, fd], detached: true, ...sh.ids,
      });
      c.once('spawn', () => resolve(c));
      c.once('error', (e) => reject(new Error(`could not start ${spec.command}: ${e.message}`)));
    }).catch(async (e: unknown) => {
      await group.remove().catch(() => { /* the next start sweeps it */ });
      await this.o.guard?.close(port);
      throw e;
    }).finally(() => closeSync(fd));
    const pid = child.pid!;
    mark('spawned');
    if (!group.name) group.place(pid);
    const handle = JSON.stringify({
      pid, start: processStart(pid) ?? '', ...(user && this.o.guard && { port }),
      ...(group.name && { cg: group.name, app: spec.app, ...(limits.memoryMb && { mb: limits.memoryMb }) }),
    } satisfies Handle);
    child.on('exit', (code) => this.exited(handle, code));
    child.unref();
    return { handle, pid, host: '127.0.0.1', port };
  }

  /** The instance's stdout: the tagging filter's pipe where the host has perl, else app.log itself (lines untagged). */
  private output(spec: InstanceSpec, group: Group, ids: { uid?: number; gid?: number }): number {
    const file = this.files.prepare(spec.app);
    return this.tagged ? startTagger({ logFile: file, tag: instanceName(spec), group: group.name ? group : undefined, ids }) : openSync(file, 'a', 0o600);
  }

  /** A sleeping app, or one whose deploy is building (readyStart): a port fenced for its user ahead of its start (WarmPorts). */
  async prewarm(app: string): Promise<void> { if (!this.closed) await this.warm?.prepare(app); }
  readyStart = (app: string) => this.prewarm(app);

  /** The spec's limits, the server's defaults where the app set none. */
  private limits(spec: InstanceSpec): Limits {
    const d = this.o.defaults ?? {};
    return { memoryMb: spec.memoryMb ?? d.memoryMb, cpu: spec.cpu ?? d.cpu, pids: spec.pids ?? d.pids };
  }

  /** The instance's cgroup, or its process group (started without cgroups, or before minicloud had them). */
  private group(h: Handle): Group {
    return h.cg && this.confine.kind !== 'process groups' ? this.confine.open(h.cg) : new ProcessGroup(h.pid, h.start);
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
    if (!alive(h)) {
      await this.end(h); // its leader died while minicloud was away: what it left goes now
      return false;
    }
    // Not our child any more: poll, since no exit event will come.
    const timer = setInterval(() => { if (!alive(h)) this.exited(handle, null); }, 1000);
    timer.unref();
    this.watched.set(handle, timer);
    return true;
  }

  /**
   * SIGTERM to every process of the instance (SIGCONT too: a stopped one acts on it only once continued), then
   * SIGKILL to whatever is left after `graceMs`. The group decides, not its leader: `npm start` exits at once on
   * SIGTERM, and the server it started must not outlive it.
   */
  async stop(handle: string, graceMs: number): Promise<void> {
    const h = parse(handle);
    const g = this.group(h);
    this.stopping.add(handle);
    try {
      if (g.signal('SIGTERM') > 0) {
        g.signal('SIGCONT');
        const deadline = Date.now() + graceMs;
        while (g.pids().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
      await this.end(h);
      while (alive(h)) await new Promise((r) => setTimeout(r, 20));
    } finally {
      this.stopping.delete(handle);
    }
  }

  onExit(listener: (handle: string, code: number | null, reason: ExitReason) => void): void {
    this.listeners.push(listener);
  }

  /** Kills what is left of an instance, removes its cgroup and firewall rules; whether the kernel killed it for memory. */
  private async end(h: Handle): Promise<boolean> {
    const g = this.group(h);
    const oom = g.oomKills() > 0;
    if (!(await killGroup(g))) this.log.warn(`processes of cgroup ${g.name || `group ${h.pid}`} outlived every SIGKILL`);
    await g.remove().catch((e: Error) => this.log.warn(`cgroup ${g.name}: ${e.message}`));
    if (h.port) await this.o.guard?.close(h.port).catch((e: Error) => this.log.warn(`firewall rules of port ${h.port}: ${e.message}`));
    if (oom && h.app) this.files.append(h.app, `minicloud: instance killed: out of memory${h.mb ? ` (its limit is ${h.mb} MiB; raise it with \`minicloud resources:set ${h.app} memory=…\`)` : ''}`);
    return oom;
  }

  /** An instance's leader exited: the rest of it ends with it, as a container's processes end with its init. */
  private exited(handle: string, code: number | null): void {
    if (this.closed) return; // minicloud is stopping: the next process adopts or restarts it
    const timer = this.watched.get(handle);
    if (timer) clearInterval(timer);
    this.watched.delete(handle);
    const report = (reason: ExitReason) => { for (const l of this.listeners) l(handle, code, reason); };
    if (this.stopping.has(handle)) return report('exited'); // stop() ends the rest after its grace time
    this.end(parse(handle)).then((oom) => report(oom ? 'oom' : 'exited'), (e: Error) => {
      this.log.warn(`ending an instance's processes: ${e.message}`);
      report('exited');
    });
  }

  async run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number> {
    const user = await this.prepare(spec);
    const port = await freePort();
    const env = this.env(spec, port, user);
    const limits = this.limits(spec);
    const group = this.confine.create(groupName(spec), limits);
    try {
      const code = await runCommand(spec.command, { cwd: releaseDir(spec), env, onLine, signal, ...(user && { user }), ...(group.name && { group }) });
      if (group.oomKills() > 0) onLine(`killed: out of memory (the limit is ${limits.memoryMb} MiB; raise it with \`minicloud resources:set ${spec.app} memory=…\`)`);
      return code;
    } finally {
      await killGroup(group);
      await group.remove().catch((e: Error) => this.log.warn(`cgroup ${group.name}: ${e.message}`));
    }
  }

  /** `run`'s console: the same user, environment, limits and group, under a pseudo-terminal. */
  async console(spec: InstanceSpec, o: ConsoleOptions): Promise<number> {
    const user = await this.prepare(spec);
    const env = this.env(spec, await freePort(), user);
    const limits = this.limits(spec);
    // Without cgroups, the console's whole session: an interactive shell puts each job in a process group of its own.
    const group = this.confine.kind === 'process groups' ? new ProcessGroup(0, null, true) : this.confine.create(groupName(spec), limits);
    try {
      const code = await ptyConsole({ command: spec.command, cwd: releaseDir(spec), env, group, ...(user && { user }) }, o);
      if (group.oomKills() > 0) o.output(Buffer.from(`\r\nkilled: out of memory (the limit is ${limits.memoryMb} MiB; raise it with \`minicloud resources:set ${spec.app} memory=…\`)\r\n`));
      return code;
    } finally {
      await killGroup(group);
      await group.remove().catch((e: Error) => this.log.warn(`cgroup ${group.name}: ${e.message}`));
    }
  }

  /** CPU ticks plus bytes read and written, of every process of the instance (see Runtime.activity). */
  activity(handle: string): Activity | null {
    return sumActivity(this.group(parse(handle)).pids());
  }

  /** Ends every group of the app (its instances and one-offs): it is destroyed. */
  async forget(app: string): Promise<void> {
    await this.warm?.forget(app);
    await Promise.all(this.confine.names().filter((n) => n.startsWith(`${app}.`)).map((n) => this.endGroup(n)));
  }

  /**
   * At start: ends this minicloud's groups that no instance of `handles` owns (one-offs and builds of a killed
   * predecessor, the remains of instances it lost), and removes empty ones.
   */
  async sweep(handles: Array<string | null>): Promise<number> {
    const keep = new Set(handles.flatMap((handle) => (handle ? [parse(handle).cg ?? ''] : [])));
    const stale = this.confine.names().filter((n) => !keep.has(n));
    await Promise.all(stale.map((n) => this.endGroup(n)));
    return stale.length;
  }

  private async endGroup(name: string): Promise<void> {
    const g = this.confine.open(name);
    await killGroup(g);
    await g.remove().catch((e: Error) => this.log.warn(`cgroup ${name}: ${e.message}`));
  }

  logs(app: string, opts: LogOptions): AsyncIterable<string> {
    return this.files.tail(app, opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.files.close();
    this.confine.tidy();
    for (const t of this.watched.values()) clearInterval(t);
    this.watched.clear();
  }
}
