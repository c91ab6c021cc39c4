// The shared vocabulary of a deploy's path: plain data, no behaviour.

export interface App {
  name: string;
  deployBranch: string;
  createdAt: string;
  /** Release number currently serving, or null before the first successful deploy. */
  currentRelease: number | null;
  /**
   * Desired state: a stopped app keeps its releases but runs nothing; a sleeping one runs nothing
   * until its next request wakes it.
   */
  state: 'running' | 'stopped' | 'sleeping';
  /** maintenance:on: visitors get the router's maintenance page (503, Retry-After); instances and one-offs run on. */
  maintenance: boolean;
  /** Put to sleep after this many seconds without a request; null: never. */
  sleepAfterSeconds: number | null;
  /** Memory limit of its containers (MiB); null: MINICLOUD_APP_MEMORY. Host processes are not capped. */
  memoryMb: number | null;
  /** CPUs its containers may use (a quota, e.g. 0.5); null: MINICLOUD_APP_CPU. */
  cpu: number | null;
  /** Processes and threads it may have; null: MINICLOUD_APP_PIDS. */
  pids: number | null;
}

export type DeployStatus = 'queued' | 'building' | 'releasing' | 'succeeded' | 'failed';

/** One trip through the pipeline: a push, a config change or a restart. */
export interface Deploy {
  id: string;
  app: string;
  /** `image`: a published image deployed by reference (`ref` holds it). */
  kind: 'build' | 'release' | 'restart' | 'rollback' | 'image';
  status: DeployStatus;
  ref: string | null;
  commit: string | null;
  /** Who made the commit and its first line, when known. */
  commitAuthor: string | null;
  commitMessage: string | null;
  release: number | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface Release {
  app: string;
  version: number;
  status: ReleaseStatus;
  /** The build this release runs: a directory (host runtime) or an image (docker runtime). */
  artifact: Artifact;
  commit: string | null;
  commitAuthor: string | null;
  commitMessage: string | null;
  description: string;
  config: Record<string, string>;
  /**
   * Instances per process type the release started with (the app's formation then, one each by default);
   * null for releases made before minicloud recorded it.
   */
  formation: Record<string, number> | null;
  createdAt: string;
}

/** What a build or an image deploy made, runnable: an image (Docker runtime) or a release directory (host processes). */
export type Artifact = ({ kind: 'image'; image: string } | { kind: 'dir'; dir: string }) & {
  buildpack: string;
  /** Process types from the Procfile or the buildpack's default (`web` at least). */
  processes: Record<string, string>;
  /** The validated manifest (cloud_manifest.yml, app.json's health check): the one place of the port and health check. */
  manifest?: Manifest;
  /** An image deploy's: the image it was made from. */
  origin?: ImageOrigin;
  /** The numeric user its processes run as instead of the image's (a catalog entry's `user`); it owns the app's storage. */
  user?: RunUser;
  /** A Compose file's services that run an image of their own (`db: { image: postgres:16 }`), by process type; the rest run `image`. */
  services?: Record<string, ServiceImage>;
};

/** A process type that runs its own image (a Compose service's `image:`), not the release's build. */
export interface ServiceImage {
  /** The image, tagged for the release (`minicloud/<app>:v3-db`); in a Compose plan, the reference the file names. */
  image: string;
  /** The volume paths it mounts (no other volume): the app's other processes do not mount the ones only it names. */
  volumes: string[];
  /**
   * It has a volume of its own (a database's data): one instance, stopped before its replacement starts (never two
   * writers), kept in the app's backups.
   */
  stateful: boolean;
}

/** A Compose `healthcheck:` the engine runs inside the container (`pg_isready`): a process type is healthy when it passes. */
export interface ContainerHealthcheck {
  /** Docker's form: `['CMD-SHELL', 'pg_isready -U postgres']` or `['CMD', 'pg_isready', ...]`. */
  test: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

/** A numeric user and group (never root) a container runs as. */
export interface RunUser { uid: number; gid: number }

/** The published image an image deploy released, and what its OCI labels said (`org.opencontainers.image.*`). */
export interface ImageOrigin {
  /** The reference deployed, e.g. `ghcr.io/me/app:1.2`. */
  ref: string;
  /** The engine's image id (`sha256:…`): two tags of one image have the same. */
  id: string;
  /** `org.opencontainers.image.source`: the repository it was built from. */
  source?: string;
  /** `org.opencontainers.image.revision`: the commit, when it is one. */
  revision?: string;
  /** `org.opencontainers.image.authors`. */
  authors?: string;
  /** `org.opencontainers.image.title`, `org.opencontainers.image.description`. */
  title?: string;
  description?: string;
}

/** What cloud_manifest.yml says about an app (validated). */
export interface Manifest {
  name?: string;
  expose?: { proto: 'http'; port: number };
  needs?: Array<'database' | 'messagebus' | 'storage' | 'redis'>;
  /** `path` probed (any answer below 500; without a path, any HTTP answer on /); the rest as the README's health checks say. */
  healthcheck?: { path?: string; startTimeoutSeconds?: number; intervalSeconds?: number; probeTimeoutSeconds?: number; failures?: number };
  cron?: Array<{ schedule: string; command: string }>;
  /** Process types started only once web answers its health check (a Compose file's `depends_on: service_healthy`); not read from cloud_manifest.yml. */
  afterWeb?: string[];
  /** Process type → the types that must be healthy before it starts (a Compose file's `depends_on: service_healthy`); not read from cloud_manifest.yml. */
  waitFor?: Record<string, string[]>;
  /** Health checks the engine runs in the containers of other types than web (web's is `healthcheck`, probed over HTTP). */
  checks?: Record<string, ContainerHealthcheck>;
}

/** Plain data a builder turns into an image or a release directory. */
export interface BuildPlan {
  buildpack: string;
  /** Base image for the Docker builder (informational; the Dockerfile's ARGs decide). */
  baseImage: string;
  /**
   * The Dockerfile the Docker builder uses: the buildpack's (absolute path), or null for the
   * repository's own `Dockerfile` at its root. Files beside a buildpack's Dockerfile (other than
   * buildpack.json) are added to the build context under `.minicloud/`.
   */
  dockerfile: string | null;
  /** Build arguments for the Dockerfile (`BASE_IMAGE` and the like), operator overrides applied. */
  buildArgs: Record<string, string>;
  install: string[];
  build: string[];
  processes: Record<string, string>;
  /** Directories (relative to the app) whose content is cached between builds. */
  cacheDirs: string[];
  env: Record<string, string>;
  /** The host builder's `web` command where the image's would not work on the host (static: Node, not busybox). */
  hostWeb?: string;
  /** Directories (relative to the app) the host builder puts first on every process's PATH, when the build made them. */
  hostPath?: string[];
  /**
   * The host builder copies `dir` from the previous build instead of running the install steps when `files` (those
   * present) and the config are the same as that build's (a code-only push).
   */
  reuse?: { dir: string; files: string[] };
  /** A build step's command as it runs, where it differs from its name in `build` (an npm script run without npm). */
  run?: Record<string, string>;
  /** What the build log says about how the plan's commands run (an npm script run directly, or why through npm). */
  notes?: string[];
}

/** `draining`: out of the route table, finishing its requests before it stops. */
export type InstanceState = 'starting' | 'up' | 'draining' | 'crashed' | 'stopped';

export interface Instance {
  id: string;
  app: string;
  release: number;
  type: string;
  host: string;
  port: number;
  pid: number | null;
  state: InstanceState;
  startedAt: string;
  restarts: number;
  /** When a crashed instance is due to start again (backoff); null otherwise. */
  nextRestartAt: string | null;
  /** How it last ended on its own (kept across its restarts); absent or null if it never did. */
  lastExit?: InstanceExit | null;
  /** Its number among its release's instances of its type, as Heroku's `web.1`: what its log lines are tagged with. */
  num?: number | null;
}

/** Why an instance ended: it exited (with `code`), the kernel killed it at its memory limit, or it failed its health checks. */
export type ExitCause = 'exited' | 'oom' | 'unhealthy';

export interface InstanceExit {
  cause: ExitCause;
  code: number | null;
  at: string;
}

/** An exit in a few words, as `ps` shows it: `out of memory`, `exited with code 1`, `unhealthy`. */
export function describeExit(e: InstanceExit): string {
  if (e.cause === 'oom') return 'out of memory';
  if (e.cause === 'unhealthy') return 'unhealthy (no answer to its health checks)';
  return e.code === null ? 'killed by a signal' : `exited with code ${e.code}`;
}

export interface LogLine {
  seq: number;
  time: string;
  text: string;
}
