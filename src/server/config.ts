// Settings from the environment, each with its default, and the paths under the data directory.
import { resolve, join } from 'node:path';
import { UserError, parseLogLevel, parseMinFree, type LogLevel, type MinFree } from '../core/index.ts';
import { parseTrustedProxies } from '../../proxy/edge/trust.ts';
import { alertSettings, type AlertSettings } from '../alerts/index.ts';
import { historySetting } from '../metrics/index.ts';

/** How long a stopped instance has between SIGTERM and SIGKILL (the Swarm runtime fixes it per service at start). */
export const STOP_GRACE_MS = 10_000;

export interface Config {
  dataDir: string;
  apiPort: number;
  httpPort: number;
  /** MINICLOUD_BIND: the API and git's address (loopback by default: people reach them through the router). */
  bind: string;
  /** MINICLOUD_ROUTER_BIND: the router's address (all interfaces by default). */
  routerBind: string;
  domain: string;
  /** null: start a private redis-server under the data directory. */
  redisUrl: string | null;
  token: string | null;
  buildCaBundle: string | undefined;
  startTimeoutMs: number;
  drainMs: number;
  healthIntervalMs: number;
  healthFailures: number;
  /** MINICLOUD_HEALTH_TIMEOUT (s): how long one health probe may take. */
  healthTimeoutMs: number;
  /** MINICLOUD_CGROUPS: `auto` (cgroups where the host allows) or `off` (process groups only). */
  cgroups: 'auto' | 'off';
  wakeTimeoutMs: number;
  buildStepTimeoutMs: number;
  /** Redis key prefix, so several minicloud instances (or test runs) can share one Redis. */
  redisPrefix: string;
  /** MINICLOUD_RUNTIME: docker, process, swarm, or unset (Docker when it answers; Swarm after swarm:init). */
  runtime: string | undefined;
  /** MINICLOUD_SWARM_REGISTRY (`host:port`): where builds push and every swarm node pulls; unset: minicloud runs its own (on _PORT). */
  swarmRegistry: string | undefined;
  /** MINICLOUD_SWARM_REGISTRY_USER and _PASSWORD: the registry's credentials, for pushes and every node's pulls. */
  swarmRegistryAuth: { username: string; password: string } | undefined;
  swarmRegistryPort: number;
  /** Memory cap of one build (MiB), and how many builds run at once. */
  buildMemoryMb: number;
  buildConcurrency: number;
  /** A build starts only when this much memory (MiB) is available. */
  buildMinFreeMb: number;
  /** The most one pushed tree may hold, unpacked (MiB). */
  maxSourceMb: number;
  /** MINICLOUD_MIN_FREE: builds and backups refuse to start below it (null: 1 GiB or 5% of the disk, the smaller). */
  minFree: MinFree | null;
  /** MINICLOUD_PRUNE_INTERVAL (seconds; 0: off): how often stale build caches, old builds and git garbage are pruned. */
  pruneIntervalMs: number;
  metricsHistory: boolean; // MINICLOUD_METRICS_HISTORY=off: each app's metrics for the last hour only, in memory
  /** MINICLOUD_APP_LOG_MAX_MB: each app's app.log is rotated past it (app.log.1 keeps the newest part), on every runtime. */
  appLogMaxBytes: number;
  /** Preview apps that may exist at once on the server (MINICLOUD_MAX_PREVIEWS), and each one's memory limit (MiB). */
  maxPreviews: number;
  previewMemoryMb: number;
  /** Images kept per app for rollbacks. */
  keepImages: number;
  /** Memory limit of an app's containers unless `resources:set` says otherwise (MiB). */
  appMemoryMb: number;
  dockerNetwork: string;
  /** MINICLOUD_CATALOG_DIR: a catalog directory of one's own (entries and their schema.json) instead of the shipped catalog/. */
  catalogDir: string | null;
  /** How often add-on users on shared servers are checked and restored (Redis forgets ACLs on restart). */
  addonCheckMs: number;
  /** HTTPS and certificates (certs/): see httpsConfig(). */
  https: HttpsConfig;
  /** MINICLOUD_ROUTER_WORKERS: how many worker processes the router daemon serves with (default 1). */
  routerWorkers: number;
  /** MINICLOUD_CONSOLE_IDLE_TIMEOUT (s): a console (`minicloud run` from a terminal) with nothing typed or printed for this long is closed (default 3600; 0: never). */
  consoleIdleMs: number;
  /** MINICLOUD_ROUTER_DRAIN_TIMEOUT (s): the most a retiring router worker waits for requests under way (default 60). */
  routerDrainMs: number;
  /**
   * MINICLOUD_ROUTER: `spawn` (default) starts the router daemon as a detached process when none answers;
   * `external` waits for one started by someone else (the installer's minicloud-router container).
   */
  routerMode: 'spawn' | 'external';
  /**
   * MINICLOUD_DOCKER_PEERS: set (a comma-separated list of container names, possibly empty), app containers live on
   * their own network only, which these containers join (the installer: the router, minicloud, the add-on servers).
   */
  dockerPeers: string[] | null;
  /** MINICLOUD_TRUSTED_PROXIES as given (validated here): peers whose X-Forwarded-* the router believes. */
  trustedProxies: string | undefined;
  /** MINICLOUD_GITHUB_URL_BASE: where webhook deploys fetch `<owner>/<repo>.git` from; https://github.com/ unless a test says otherwise. */
  githubUrlBase: string;
  /** GitHub's REST API, for previews' commit statuses (MINICLOUD_GITHUB_API_URL; tests point it at a stand-in). */
  githubApiUrl: string;
  /** MINICLOUD_APP_USER_PREFIX: host processes of app `a` run as user `<prefix>a` (minicloud as root). */
  appUserPrefix: string;
  /** MINICLOUD_APP_PIDS: processes (and threads) one app may have: per container on Docker, per app user on the host. */
  appPids: number;
  /** MINICLOUD_API_{HEADERS,BODY,ANSWER}_TIMEOUT (s): how long an API client may take to send, and a route to answer (0: none). */
  apiTimeouts: { headersMs: number; bodyMs: number; answerMs: number };
  /** MINICLOUD_APP_CPU: CPUs one app container may use unless resources:set says otherwise. */
  appCpu: number;
  /** MINICLOUD_LOG_LEVEL: debug, info (the default), warn or error; what the operator's log keeps. */
  logLevel: LogLevel;
  /** Alerts: the SMTP server, delivery timeout and rate, the disk and memory thresholds (alerts/settings.ts). */
  alerts: AlertSettings;
}

export interface HttpsConfig {
  /** MINICLOUD_HTTPS_PORT: the router's TLS listener; null (`off`) for none. */
  port: number | null;
  /** The ACME directory URL; null: ACME is off and every name is served with a self-signed certificate. */
  acmeDirectory: string | null;
  acmeEmail: string | null;
  /** A PEM file of extra CAs trusted for the ACME directory's own HTTPS (a private CA, Pebble in tests). */
  acmeCaBundle: string | undefined;
  /** Fetch each challenge from port 80 of the name before asking the CA to (MINICLOUD_ACME_SELF_CHECK=off skips). */
  acmeSelfCheck: boolean;
  /** First delay between polls of a pending order. */
  acmePollMs: number;
  /** Wait after a first failed order; doubles per failure, up to a day. */
  acmeRetryMinMs: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`${name}=${raw} is not a port number`, `set ${name} to a number between 1 and 65535`);
  return n;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${name}=${raw} is not a number of seconds`, `e.g. ${name}=${fallback}`);
  return n * 1000;
}

function cgroupsMode(raw: string | undefined): 'auto' | 'off' {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'off') return 'off';
  throw new UserError(`MINICLOUD_CGROUPS=${raw} is not auto or off`, 'leave it unset (cgroups where the host allows), or set MINICLOUD_CGROUPS=off');
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${name}=${raw} is not a whole number above 0`, `e.g. ${name}=${fallback}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const domain = (env.MINICLOUD_DOMAIN || 'localhost').toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(domain) || domain.startsWith('.') || domain.includes('..')) {
    throw new UserError(`MINICLOUD_DOMAIN=${domain} is not a domain name`, 'e.g. MINICLOUD_DOMAIN=apps.example.com');
  }
  return {
    dataDir: resolve(env.MINICLOUD_DATA || './data'),
    apiPort: port(env, 'MINICLOUD_API_PORT', 7080),
    httpPort: port(env, 'MINICLOUD_HTTP_PORT', 8080),
    bind: env.MINICLOUD_BIND || '127.0.0.1',
    routerBind: env.MINICLOUD_ROUTER_BIND || '0.0.0.0',
    domain,
    redisUrl: env.REDIS_URL || null,
    token: env.MINICLOUD_TOKEN || null,
    buildCaBundle: env.MINICLOUD_BUILD_CA_BUNDLE || undefined,
    startTimeoutMs: seconds(env, 'MINICLOUD_START_TIMEOUT', 60),
    drainMs: seconds(env, 'MINICLOUD_DRAIN_TIMEOUT', 30),
    healthIntervalMs: seconds(env, 'MINICLOUD_HEALTH_INTERVAL', 2),
    healthFailures: count(env, 'MINICLOUD_HEALTH_FAILURES', 2),
    healthTimeoutMs: seconds(env, 'MINICLOUD_HEALTH_TIMEOUT', 2),
    cgroups: cgroupsMode(env.MINICLOUD_CGROUPS),
    wakeTimeoutMs: seconds(env, 'MINICLOUD_WAKE_TIMEOUT', 60),
    buildStepTimeoutMs: seconds(env, 'MINICLOUD_BUILD_TIMEOUT', 900),
    redisPrefix: env.MINICLOUD_REDIS_PREFIX || 'minicloud',
    runtime: env.MINICLOUD_RUNTIME || undefined,
    swarmRegistry: env.MINICLOUD_SWARM_REGISTRY || undefined,
    swarmRegistryAuth: env.MINICLOUD_SWARM_REGISTRY_USER ? { username: env.MINICLOUD_SWARM_REGISTRY_USER, password: env.MINICLOUD_SWARM_REGISTRY_PASSWORD ?? '' } : undefined,
    swarmRegistryPort: port(env, 'MINICLOUD_SWARM_REGISTRY_PORT', 5000),
    buildMemoryMb: count(env, 'MINICLOUD_BUILD_MEMORY', 2048),
    buildConcurrency: count(env, 'MINICLOUD_BUILD_CONCURRENCY', 1),
    buildMinFreeMb: count(env, 'MINICLOUD_BUILD_MIN_FREE', 256),
    maxSourceMb: count(env, 'MINICLOUD_MAX_SOURCE_MB', 1024),
    /** Builds and backups refuse to start below it (null: 1 GiB or 5% of the disk, whichever is smaller). */
    minFree: parseMinFree(env.MINICLOUD_MIN_FREE),
    pruneIntervalMs: seconds(env, 'MINICLOUD_PRUNE_INTERVAL', 24 * 60 * 60),
    appLogMaxBytes: Math.max(1, count(env, 'MINICLOUD_APP_LOG_MAX_MB', 10)) * 1024 * 1024,
    maxPreviews: count(env, 'MINICLOUD_MAX_PREVIEWS', 5),
    previewMemoryMb: count(env, 'MINICLOUD_PREVIEW_MEMORY', 256),
    keepImages: count(env, 'MINICLOUD_KEEP_IMAGES', 5),
    appMemoryMb: count(env, 'MINICLOUD_APP_MEMORY', 512),
    dockerNetwork: env.MINICLOUD_DOCKER_NETWORK || 'minicloud',
    catalogDir: env.MINICLOUD_CATALOG_DIR ? resolve(env.MINICLOUD_CATALOG_DIR) : null,
    addonCheckMs: seconds(env, 'MINICLOUD_ADDON_CHECK_INTERVAL', 60),
    https: httpsConfig(env),
    routerWorkers: count(env, 'MINICLOUD_ROUTER_WORKERS', 1),
    routerDrainMs: seconds(env, 'MINICLOUD_ROUTER_DRAIN_TIMEOUT', 60),
    consoleIdleMs: seconds(env, 'MINICLOUD_CONSOLE_IDLE_TIMEOUT', 3600),
    routerMode: routerMode(env.MINICLOUD_ROUTER),
    dockerPeers: env.MINICLOUD_DOCKER_PEERS === undefined ? null : env.MINICLOUD_DOCKER_PEERS.split(',').map((s) => s.trim()).filter(Boolean),
    trustedProxies: trustedProxies(env.MINICLOUD_TRUSTED_PROXIES),
    githubUrlBase: env.MINICLOUD_GITHUB_URL_BASE || 'https://github.com/',
    githubApiUrl: env.MINICLOUD_GITHUB_API_URL || 'https://api.github.com/',
    appUserPrefix: userPrefix(env.MINICLOUD_APP_USER_PREFIX),
    appPids: count(env, 'MINICLOUD_APP_PIDS', 512),
    apiTimeouts: {
      headersMs: seconds(env, 'MINICLOUD_API_HEADERS_TIMEOUT', 20), bodyMs: seconds(env, 'MINICLOUD_API_BODY_TIMEOUT', 30), answerMs: seconds(env, 'MINICLOUD_API_ANSWER_TIMEOUT', 600),
    },
    appCpu: cpus(env.MINICLOUD_APP_CPU),
    logLevel: parseLogLevel(env.MINICLOUD_LOG_LEVEL),
    alerts: alertSettings(env, domain),
    metricsHistory: historySetting(env.MINICLOUD_METRICS_HISTORY),
  };
}

const ACME_DIRECTORIES: Record<string, string> = {
  production: 'https://acme-v02.api.letsencrypt.org/directory',
  staging: 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/**
 * ACME is on when MINICLOUD_ACME_EMAIL (Let's Encrypt production unless MINICLOUD_ACME_DIRECTORY says
 * otherwise) or MINICLOUD_ACME_DIRECTORY is set; `staging` and `production` name Let's Encrypt's.
 */
export function httpsConfig(env: NodeJS.ProcessEnv): HttpsConfig {
  const email = env.MINICLOUD_ACME_EMAIL?.trim() || null;
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new UserError(`MINICLOUD_ACME_EMAIL=${email} is not an email address`, 'the CA writes to it about expiring certificates, e.g. MINICLOUD_ACME_EMAIL=ops@example.com');
  }
  const raw = env.MINICLOUD_ACME_DIRECTORY?.trim() || '';
  const directory = ACME_DIRECTORIES[raw] ?? (raw || (email ? ACME_DIRECTORIES.production! : null));
  if (directory && !/^https?:\/\/[^\s]+$/.test(directory)) {
    throw new UserError(`MINICLOUD_ACME_DIRECTORY=${raw} is not a URL`, "give the CA's directory URL, or `staging` / `production` for Let's Encrypt");
  }
  const selfCheck = (env.MINICLOUD_ACME_SELF_CHECK || 'on').toLowerCase();
  if (!['on', 'off', 'true', 'false', '1', '0'].includes(selfCheck)) {
    throw new UserError(`MINICLOUD_ACME_SELF_CHECK=${selfCheck} is neither on nor off`, 'e.g. MINICLOUD_ACME_SELF_CHECK=off');
  }
  return {
    port: env.MINICLOUD_HTTPS_PORT?.toLowerCase() === 'off' ? null : port(env, 'MINICLOUD_HTTPS_PORT', 8443),
    acmeDirectory: directory,
    acmeEmail: email,
    acmeCaBundle: env.MINICLOUD_ACME_CA_BUNDLE || undefined,
    acmeSelfCheck: ['on', 'true', '1'].includes(selfCheck),
    acmePollMs: seconds(env, 'MINICLOUD_ACME_POLL_INTERVAL', 5),
    acmeRetryMinMs: seconds(env, 'MINICLOUD_ACME_RETRY_MIN', 60),
  };
}

/** A bad entry stops minicloud at start, naming it, rather than trusting more or less than meant. */
function trustedProxies(raw: string | undefined): string | undefined {
  if (raw?.trim()) parseTrustedProxies(raw);
  return raw?.trim() ? raw : undefined;
}

function cpus(raw: string | undefined): number {
  const n = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(n) || n < 0.01 || n > 1024) throw new UserError(`MINICLOUD_APP_CPU=${raw} is not a number of CPUs`, 'e.g. MINICLOUD_APP_CPU=1 or 0.5');
  return n;
}

function userPrefix(raw: string | undefined): string {
  const prefix = raw || 'minicloud-';
  if (!/^[a-z_][a-z0-9_-]{0,15}$/.test(prefix)) throw new UserError(`MINICLOUD_APP_USER_PREFIX=${prefix} cannot start a Unix user name`, 'use up to 16 lowercase letters, digits, - and _, e.g. MINICLOUD_APP_USER_PREFIX=minicloud-');
  return prefix;
}

export function paths(dataDir: string) {
  return {
    db: join(dataDir, 'minicloud.db'),
    adminToken: join(dataDir, 'admin.token'),
    hookConfig: join(dataDir, 'hook.json'),
    redis: join(dataDir, 'redis'),
    repos: join(dataDir, 'repos'),
    incoming: join(dataDir, 'sources', 'incoming'),
    sources: join(dataDir, 'sources'),
    builds: join(dataDir, 'builds'),
    cache: join(dataDir, 'cache'),
    github: join(dataDir, 'github'),
    volumes: join(dataDir, 'volumes'),
    backups: join(dataDir, 'backups'),
    /** The off-box backup target and its keys (0600). */
    backupTarget: join(dataDir, 'backup-target.json'),
    runtimeRecord: join(dataDir, 'runtime.json'), // {"runtime":"swarm"} once `minicloud swarm:init` ran
    logs: join(dataDir, 'logs'),
    certs: join(dataDir, 'certs'),
    registry: join(dataDir, 'registry'),
    homes: join(dataDir, 'home'),
  };
}

export type Paths = ReturnType<typeof paths>;

function routerMode(v: string | undefined): 'spawn' | 'external' {
  if (v === undefined || v === '' || v === 'spawn') return 'spawn';
  if (v === 'external') return 'external';
  throw new UserError(`MINICLOUD_ROUTER=${v} is not a router mode`, 'use spawn (the default: minicloud starts the router daemon) or external (a container or service starts it)');
}
