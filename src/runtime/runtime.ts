// The Runtime seam: start, stop and watch instances of a release, whatever runs them.
import type { Artifact, NodeInfo, NodeJoin } from '../core/index.ts';

export interface InstanceSpec {
  id: string;
  app: string;
  release: number;
  type: string;
  command: string;
  artifact: Artifact;
  env: Record<string, string>;
  /** Persistent directories: `path` inside the app, kept on the host in `hostDir`. */
  volumes?: Array<{ path: string; hostDir: string }>;
  /** Memory limit in MiB (a container's, or the instance's cgroup on host processes where minicloud has cgroups). */
  memoryMb?: number;
  /** CPU quota in CPUs (a container's, or the instance's cgroup). */
  cpu?: number;
  /** Process limit: per container on Docker, the app user's process cap on the host. */
  pids?: number;
  /** What its log lines are tagged with (`web.1`, as Heroku's `app[web.1]:`); `<type>.<id's first 8>` without. */
  name?: string;
}

/** The tag of an instance's log lines. */
export const instanceName = (spec: Pick<InstanceSpec, 'name' | 'type' | 'id'>): string => spec.name ?? `${spec.type}.${spec.id.slice(0, 8)}`;

/**
 * The volume `$STORAGE_DIR` names: `/data` (what a manifest's `needs: storage` makes, where the seed's apps keep
 * their files), else the app's first; none without volumes.
 */
export function storageVolume(spec: Pick<InstanceSpec, 'volumes'>): { path: string; hostDir: string } | undefined {
  return spec.volumes?.find((v) => v.path === '/data') ?? spec.volumes?.[0];
}

/** The release directory a host process runs in: host processes run directory artifacts only. */
export function releaseDir(spec: Pick<InstanceSpec, 'artifact' | 'app' | 'release'>): string {
  if (spec.artifact.kind !== 'dir') throw new Error(`release v${spec.release} of ${spec.app} is an image; host processes run release directories only`);
  return spec.artifact.dir;
}

export type EngineHealth = 'starting' | 'healthy' | 'unhealthy';

export interface Activity { work: number; runnable: boolean }

/** Why an instance ended: on its own (or stopped), or killed at its memory limit. */
export type ExitReason = 'exited' | 'oom';

export interface RunningInstance {
  /** Opaque, durable: enough to find the instance again after minicloud restarts. */
  handle: string;
  pid: number | null;
  host: string;
  port: number;
}

export interface LogOptions {
  lines: number;
  follow: boolean;
  signal?: AbortSignal;
}

/** A console's terminal: what is typed goes in, its size changes. */
export interface Terminal {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Stop reading the command's output while the client is behind, and start again. */
  pause(): void;
  resume(): void;
}

export interface ConsoleOptions {
  cols: number;
  rows: number;
  /** TERM inside. */
  term: string;
  /** The command's output, as it comes. */
  output: (data: Buffer) => void;
  /** Once the command runs: its terminal. */
  ready: (t: Terminal) => void;
  /** Aborted: the command is hung up on, and whatever it started ends. */
  signal: AbortSignal;
}

export interface Runtime {
  readonly name: 'process' | 'docker' | 'swarm';
  start(spec: InstanceSpec): Promise<RunningInstance>;
  /** SIGTERM, then SIGKILL after graceMs. Safe on an instance that is already gone. */
  stop(handle: string, graceMs: number): Promise<void>;
  /** Re-attach to an instance started by an earlier minicloud process; false when it is gone. */
  adopt(handle: string): Promise<boolean>;
  /** Called once when an instance this runtime started or adopted exits on its own or is stopped; `reason` `oom`: the kernel killed it for its memory limit. */
  onExit(listener: (handle: string, code: number | null, reason: ExitReason) => void): void;
  /**
   * What the instance is doing: `work`, a number that moves whenever it does anything (CPU time, bytes read and
   * written), and `runnable`, whether a process of it waits for a CPU (a starved one on a loaded host does not
   * move, yet is not stuck); null when it is gone. A probe left unanswered by an instance that neither moved nor
   * waits for a CPU is a hang, not slowness. Runtimes that cannot tell leave it out.
   */
  activity?(handle: string): Activity | null;
  /**
   * How the instance fares with its engine-run health check (a Compose `healthcheck:` of a type other than web);
   * null when it has none or is gone. Runtimes that run no such checks leave it out.
   */
  health?(handle: string): Promise<EngineHealth | null>;
  /**
   * Pauses (true) or resumes (false) every process of the instance, without ending it: a copy of a volume it writes
   * taken meanwhile is consistent, as after a power cut (a database recovers from that). Runtimes that cannot leave it out.
   */
  freeze?(handle: string, frozen: boolean): Promise<void>;
  /** The app's output, all instances together: the last `lines`, then new lines while `follow`. */
  logs(app: string, opts: LogOptions): AsyncIterable<string>;
  /** Adds a line of minicloud's own to the app's log (cron runs), between its instances' output. */
  appendLog(app: string, line: string): void;
  /** A one-off command in a new instance of a release (release phase, `minicloud run`): output by line, exit code. */
  run(spec: InstanceSpec, onLine: (line: string) => void, signal?: AbortSignal): Promise<number>;
  /** The servers instances run on, where there are several (a swarm); absent on a single server. */
  readonly nodes?: NodeControl;
  /**
   * A one-off command under a pseudo-terminal (`minicloud run` from a terminal): in the app's environment, user and
   * limits like `run`; resolves with its exit code (128 + the signal's number when a signal ended it) once it and
   * everything it started have ended. Runtimes without one leave it out.
   */
  console?(spec: InstanceSpec, o: ConsoleOptions): Promise<number>;
  /**
   * The app went to sleep: make ready, cheaply, what its next start would otherwise wait for (host processes: a
   * port with its firewall rules in place; Docker: the `specs`' containers, started with the command held back), so
   * the request that wakes it waits less. A later `start` of one of `specs` as it is takes what was readied for it;
   * anything else the runtime readied for the app goes then. Never throws.
   */
  prewarm?(app: string, specs: InstanceSpec[]): Promise<void>;
  /**
   * A start of the app is coming (its deploy began building): make ready now what that start would wait for and no
   * release decides (host processes: a port with its firewall rules in place, which the start takes), so it happens
   * beside the build. Never throws.
   */
  readyStart?(app: string): Promise<void>;
  /** The app is destroyed: drop what the runtime keeps for it besides instances (the Docker runtime: its network). */
  forget?(app: string): Promise<void>;
  close(): Promise<void>;
}

/** The nodes of a runtime spread over several servers: listed, joined, made to take no (new) instances, removed. */
export interface NodeControl {
  list(): Promise<NodeInfo[]>;
  find(ref: string): Promise<NodeInfo>;
  join(): Promise<NodeJoin>;
  setAvailability(id: string, availability: NodeInfo['availability']): Promise<void>;
  remove(id: string, force: boolean): Promise<void>;
}
