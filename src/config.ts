// Settings from the environment, each with its default, and the paths under the data directory.
import { resolve, join } from 'node:path';
import { UserError } from './core/index.ts';

export interface Config {
  dataDir: string;
  apiPort: number;
  httpPort: number;
  /** Address both listeners bind to. */
  bind: string;
  domain: string;
  /** null: start a private redis-server under the data directory. */
  redisUrl: string | null;
  token: string | null;
  buildCaBundle: string | undefined;
  startTimeoutMs: number;
  drainMs: number;
  healthIntervalMs: number;
  healthFailures: number;
  wakeTimeoutMs: number;
  buildStepTimeoutMs: number;
  /** Redis key prefix, so several minicloud instances (or test runs) can share one Redis. */
  redisPrefix: string;
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
    bind: env.MINICLOUD_BIND || '0.0.0.0',
    domain,
    redisUrl: env.REDIS_URL || null,
    token: env.MINICLOUD_TOKEN || null,
    buildCaBundle: env.MINICLOUD_BUILD_CA_BUNDLE || undefined,
    startTimeoutMs: seconds(env, 'MINICLOUD_START_TIMEOUT', 60),
    drainMs: seconds(env, 'MINICLOUD_DRAIN_TIMEOUT', 30),
    healthIntervalMs: seconds(env, 'MINICLOUD_HEALTH_INTERVAL', 10),
    healthFailures: count(env, 'MINICLOUD_HEALTH_FAILURES', 3),
    wakeTimeoutMs: seconds(env, 'MINICLOUD_WAKE_TIMEOUT', 60),
    buildStepTimeoutMs: seconds(env, 'MINICLOUD_BUILD_TIMEOUT', 900),
    redisPrefix: env.MINICLOUD_REDIS_PREFIX || 'minicloud',
  };
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
    logs: join(dataDir, 'logs'),
  };
}

export type Paths = ReturnType<typeof paths>;
