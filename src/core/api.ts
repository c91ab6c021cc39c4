// Shapes of the REST API's bodies, shared by the API and its clients (CLI, dashboard).
import type { App, Deploy, ImageOrigin, Instance, LogLine, Manifest, Release } from './types.ts';

export interface ApiError {
  error: string;
  hint?: string;
}

export interface AppInfo extends App {
  url: string;
  gitUrl: string;
}

export interface ReleaseSummary extends Omit<Release, 'config' | 'artifact'> {
  buildpack: string;
  current: boolean;
}

/** `GET /api/apps/:app/releases/:version`: one release, its config as names only. */
export interface ReleaseInfo extends ReleaseSummary {
  configKeys: string[];
  /** Process types and their commands (the Procfile's, or the buildpack's default). */
  processes: Record<string, string>;
  manifest: Manifest;
  /** An image deploy's published image; null for builds. */
  image: ImageOrigin | null;
}

/** A name whose value differs between two releases; null where one of them has none. */
export interface ValueChange { name: string; from: string | null; to: string | null }

/** `GET /api/apps/:app/releases/:from/diff/:to`: what changed between two releases, config values never shown. */
export interface ReleaseDiff {
  app: string;
  from: ReleaseInfo;
  to: ReleaseInfo;
  /** Both run the same build (a config change or a rollback reuses it). */
  sameBuild: boolean;
  /** Config var names: set in `to` only, in `from` only, set in both with different values. */
  config: { added: string[]; removed: string[]; changed: string[] };
  processes: ValueChange[];
  /** Manifest fields by path (`expose.port`, `healthcheck.path`, `cron` as JSON). */
  manifest: ValueChange[];
  /** Instances per process type each started with; empty when either release predates the record. */
  formation: ValueChange[];
}

export type { App, Deploy, Instance, LogLine };

/** Events of a followed log stream (NDJSON, one per line). */
export type LogEvent =
  | { type: 'line'; seq: number; time: string; text: string }
  | { type: 'end'; status: 'succeeded' | 'failed'; release: number | null; url: string | null; error: string | null };

/** Where a merged log line comes from: the app's output, the router's access log, a build's or another deploy's log. */
export const LOG_SOURCES = ['app', 'router', 'build', 'release'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

/** Events of `GET /api/apps/:app/logs?source=app,router,...` (NDJSON): the sources merged in time order. */
export type MergedLogEvent =
  | {
    type: 'line'; seq: number; time: string; source: LogSource; text: string;
    /** The instance that printed an app line (`web.1`, `worker.2`: Heroku's `app[web.1]:`), where its line says. */
    process?: string;
    /**
     * The line carried no time of its own: `time` is minicloud's estimate, when it read the line (while
     * following) or, for the backlog, the log file's last change (no line in it is later).
     */
    estimated?: true;
  }
  /** Sent when nothing else was for a while, so proxies keep an idle follow open. */
  | { type: 'ping'; time: string };

/** Events of a one-off command's output stream (`minicloud run`), NDJSON. */
export type RunEvent =
  | { type: 'line'; seq: number; time: string; text: string }
  | { type: 'exit'; code: number };

/** Instances wanted per process type, e.g. { web: 3, worker: 1 }. */
export type Formation = Record<string, number>;

/** Restarts in a row (without 10 min up in between) from which an instance counts as crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;

/** A backing service attached to an app (its credentials never leave the server). */
export interface AddonInfo {
  app: string;
  kind: 'mariadb' | 'postgres' | 'rabbitmq' | 'redis';
  /** The database / vhost / user name on the shared server. */
  name: string;
  /** Config vars it set on the app. */
  envKeys: string[];
  createdAt: string;
  /** One add-on's details (GET /api/apps/:app/addons/:kind only): the shared server's host:port, ... */
  server?: string;
  /** ... the database, vhost or key prefix, the user, the URL with its password masked, ... */
  database?: string;
  user?: string;
  url?: string;
  /** ... and what it holds now (`12.3 MB`, `42 keys`), or why the shared server could not say. */
  usage?: string | null;
  usageError?: string | null;
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** One minute of an app, as `GET /api/apps/:app/metrics` answers it (`{ minutes: MinutePoint[] }`). */
export interface MinutePoint {
  /** The minute's start, ISO 8601. */
  t: string;
  requests: number;
  /** Responses with a 5xx status. */
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Responses by status class (`1xx`...`5xx`), every class present. */
  statuses: Record<StatusClass, number>;
  /** Mean CPU use of the app's instances over the minute's samples (100 = one core); null without samples. */
  cpuPercent: number | null;
  /** Resident memory of the app's instances at the minute's last sample; null without samples. */
  memoryMb: number | null;
}

/** One served name's certificate, as `GET /api/apps/:app/certs` lists it. */
export interface CertInfo {
  domain: string;
  /**
   * `valid`: a CA's certificate serves; `pending`: one is being ordered (a self-signed one serves meanwhile);
   * `failed`: the last order failed and no CA certificate serves; `self-signed`: none is ordered (see `reason`);
   * `expired`: a custom certificate past its end (still served until it is replaced or removed).
   */
  status: 'valid' | 'pending' | 'failed' | 'self-signed' | 'expired';
  /** Who made the certificate that serves now: a CA (`acme`), minicloud (`self-signed`), or the user (`custom`, `certs:add`). */
  kind?: 'acme' | 'self-signed' | 'custom';
  /** A custom certificate's names (its subject alternative names). */
  names?: string[];
  /** Who signed the certificate that serves now: the CA's name, or `self-signed`. */
  issuer: string;
  serial: string | null;
  /** ISO 8601; null before any certificate exists. */
  notAfter: string | null;
  /** Why no CA certificate is ordered for this name (ACME off, a wildcard, a localhost name, no deploy yet). */
  reason: string | null;
  lastError: string | null;
  /** When the next order is due (ISO 8601): a retry after a failure, or the renewal. */
  nextAttempt: string | null;
}

/** `GET /api/apps/:app/certs`. */
export interface CertsReport {
  acme: { enabled: boolean; directory: string | null; reason: string | null };
  domains: CertInfo[];
}

/** One person of `GET /api/users`. */
export interface UserInfo { email: string; role: string; apps: string[] | null; createdAt: string }

/** One signed-in browser session of `GET /api/sessions`. */
export interface SessionInfo { key: string; who: string; address: string; since: string; expires: string }

/** The roles a token can have (a person's own token acts as them instead). */
export const TOKEN_ROLES = ['admin', 'deploy', 'read', 'metrics'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** `POST /api/users`: a person, admin or member of named apps; without a password one is made and shown once. */
export interface NewUserRequest { email: string; role: 'admin' | 'member'; apps: string[]; password?: string }

/** `POST /api/tokens`: a token with a role (an admin's to make), or without one, a person's own token acting as them. */
export interface NewTokenRequest { name: string; role?: TokenRole; apps: string[] }

/** `GET /api/audit`'s query: the latest `n` entries, of one app or all the caller sees. */
export interface AuditQuery { n: number; app?: string }

/** `POST /dashboard/session`: an API token, or a person's email and password. */
export type LoginRequest = { token: string } | { email: string; password: string };

/** One API token of `GET /api/tokens` (never its secret). */
export interface TokenInfo { name: string; role: string; apps: string[] | null; user: string | null; createdAt: string; lastUsedAt: string | null }

/** One entry of `GET /api/audit`. */
export interface AuditInfo { at: string; actor: string; action: string; app: string | null; detail: Record<string, unknown>; address: string; status: number | null }

/** One file of a backup as `GET /api/apps/:app/backups` lists it: a database dump or a volume archive, and what its check found. */
export interface BackupPartInfo {
  name: string; kind: string; file: string; size: number; sha256: string;
  tables: number | null; rows: Record<string, number> | null; restoredRows: Record<string, number> | null; verified: boolean; reason: string;
}

/** One backup of `GET /api/apps/:app/backups`. */
export interface BackupInfo { id: string; app: string; createdAt: string; status: string; size: number; parts: BackupPartInfo[]; notes: string[]; error: string | null; trigger: string }

/** `GET|PUT /api/apps/:app/backups/schedule`. */
export interface BackupScheduleInfo { frequency: string; keep: number; lastRunAt: string | null }

/** One entry of `GET /api/apps/:app/domains`: the default `<app>.<domain>` first, then the custom ones. */
export type DomainEntry = { domain: string; default: true } | { domain: string; createdAt: string };

/** `POST /api/apps/:app/domains`. */
export interface DomainAdded {
  domain: string;
  createdAt: string;
  added: boolean;
  /** The app's default host, which a CNAME record can point at. */
  cnameTarget?: string;
}

/** One volume of `GET /api/apps/:app/storage`. */
export interface VolumeInfo { path: string; hostDir?: string; createdAt: string }

/** Events of `POST /api/server/restore`'s progress stream (NDJSON). */
export type ServerRestoreEvent =
  | { type: 'line'; text: string }
  | { type: 'end'; status: 'succeeded' | 'failed'; apps: Array<{ name: string; status: string; release: number | null; error: string | null }> };

/** `GET /api/status`: what the server runs apps on and how it builds. */
export interface ServerStatus {
  runtime: 'docker' | 'process' | 'swarm';
  docker: string | null;
  builds: { concurrency: number; memoryMb: number | null };
  defaultMemoryMb: number;
  isolation?: { mode: string; summary: string };
  /** How apps' limits hold: `containers`, `cgroup v2`, `cgroup v1`, or `process groups` (memory and CPU not enforced, and why). */
  limits?: { mechanism: string; enforced: boolean; summary: string };
  apps: number;
}

/** `GET|PUT /api/apps/:app/resources`: an app's limits, whether each is the default and whether it is enforced. */
export interface ResourcesInfo {
  memoryMb: number; default: boolean; enforced: boolean;
  cpu?: number; cpuDefault?: boolean; cpuEnforced?: boolean;
  pids?: number; pidsDefault?: boolean; pidsEnforced?: boolean;
  deploy?: Deploy | null;
}

/** `POST /api/apps/:app/github`'s body: the repository (owner/repo), the branch that deploys, a token for a private one. */
export interface GithubConnectRequest { repo: string; branch: string; token: string | null }

/** `POST /api/apps/:app/github`: what to enter in the repository's webhook settings. */
export interface GithubConnected { repo: string; branch: string; secret: string; payloadUrl: string; contentType: string; hasToken: boolean }

/** One cron entry of `GET /api/apps/:app/cron`, with its last run. */
export interface CronStatus {
  schedule: string;
  command: string;
  lastRun: { startedAt: string; finishedAt: string | null; exitCode: number | null } | null;
}

/** One alert channel as `GET /api/alerts` shows it: a webhook's URL masked (its path may be a secret token). */
export interface AlertChannelInfo {
  id: string;
  /** null: server-wide (every alert). */
  app: string | null;
  kind: 'webhook' | 'email';
  /** The masked URL (`https://hooks.slack.com/…`) or the e-mail address. */
  target: string;
  format: 'json' | 'slack' | 'discord' | 'email';
  createdAt: string;
}

/** `POST /api/alerts` and `POST /api/apps/:app/alerts`: a channel to add (`format` detected from the URL when absent). */
export interface AlertChannelInput { kind: 'webhook' | 'email'; target: string; format?: 'json' | 'slack' | 'discord' }

/** One entry of `GET /api/alerts/history`: a message minicloud meant to send, and how its delivery went. */
export interface AlertHistoryInfo {
  id: number;
  at: string;
  app: string | null;
  kind: string;
  state: 'firing' | 'resolved' | 'test';
  title: string;
  channel: string | null;
  delivery: 'sent' | 'failed' | 'rate-limited' | 'no-channel';
  error: string | null;
}

/** `POST …/alerts/test`: each channel's outcome. */
export interface AlertTestResult { channel: string; target: string; ok: boolean; error: string | null }

/** `GET|PUT|DELETE /api/apps/:app/previews`: whether pushes of matching branches make preview apps, and those there are. */
export interface PreviewsInfo {
  /** On, and for which branches (`*` any run without `/`, `**` any run). */
  enabled: boolean; branches: string | null;
  /** A preview without a push for this long is destroyed; null: never. */
  expireSeconds: number | null;
  /** Names of the config vars only previews get (config:set --preview); never their values. */
  configKeys: string[];
  previews: Array<{ app: string; branch: string; url: string; createdAt: string; pushedAt: string }>;
}
