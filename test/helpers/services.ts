// Test helpers for the shared backing services (PostgreSQL, MariaDB, Redis, RabbitMQ) the add-on tests use.
// They require passwords here, as minicloud does: this machine's own servers are trust-authenticated (RabbitMQ's
// lets guest/guest in) and must not be changed, so each test file starts its own on free ports (own-servers.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startOwnMariadb, startOwnPostgres, startOwnRabbitmq, startOwnRedis, type OwnServer } from './own-servers.ts';

/** The admin URLs: the environment's when given, else filled in by setupOrFailEach with servers of this test file's own. */
export const SERVICES_ENV: NodeJS.ProcessEnv = {
  ...(process.env.MINICLOUD_POSTGRES_URL && { MINICLOUD_POSTGRES_URL: process.env.MINICLOUD_POSTGRES_URL }),
  ...(process.env.MINICLOUD_MARIADB_URL && { MINICLOUD_MARIADB_URL: process.env.MINICLOUD_MARIADB_URL }),
  ...(process.env.MINICLOUD_REDIS_ADDON_URL && { MINICLOUD_REDIS_ADDON_URL: process.env.MINICLOUD_REDIS_ADDON_URL }),
  ...(process.env.MINICLOUD_RABBITMQ_URL && { MINICLOUD_RABBITMQ_URL: process.env.MINICLOUD_RABBITMQ_URL }),
  ...(process.env.MINICLOUD_RABBITMQ_MANAGEMENT_URL ? { MINICLOUD_RABBITMQ_MANAGEMENT_URL: process.env.MINICLOUD_RABBITMQ_MANAGEMENT_URL } : {}),
};

const START: Record<string, string> = {
  PostgreSQL: 'service postgresql start (Debian/Ubuntu: apt-get install postgresql), or set MINICLOUD_POSTGRES_URL',
  MariaDB: 'service mariadb start (Debian/Ubuntu: apt-get install mariadb-server), or set MINICLOUD_MARIADB_URL',
  Redis: 'service redis-server start (Debian/Ubuntu: apt-get install redis-server), or set MINICLOUD_REDIS_ADDON_URL',
  RabbitMQ: 'service rabbitmq-server start (Debian/Ubuntu: apt-get install rabbitmq-server), or set MINICLOUD_RABBITMQ_URL',
};

/** Runs a reachability check; on failure the test fails (never skips) saying which service and how to start it. */
export async function requireService(service: keyof typeof START & string, check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
  } catch (e) {
    throw new Error(`${service} is needed by this test and is not usable: ${(e as Error).message}\nStart it with: ${START[service]}`);
  }
}

type OwnKind = 'postgres' | 'mariadb' | 'redis' | 'rabbitmq';
const OWN: Record<OwnKind, { variable: string; start: () => Promise<OwnServer & { managementUrl?: string }> }> = {
  postgres: { variable: 'MINICLOUD_POSTGRES_URL', start: startOwnPostgres },
  mariadb: { variable: 'MINICLOUD_MARIADB_URL', start: startOwnMariadb },
  redis: { variable: 'MINICLOUD_REDIS_ADDON_URL', start: startOwnRedis },
  rabbitmq: { variable: 'MINICLOUD_RABBITMQ_URL', start: startOwnRabbitmq },
};

/**
 * A beforeAll whose error fails every test of the file: a failing beforeAll alone leaves them reported as
 * "skipped", and a missing service must never look like a skip. First it starts the file's own
 * password-protected `servers` (those the environment does not name), stopped after the file's own afterAll.
 */
export function setupOrFailEach(setup: () => Promise<void>, servers: OwnKind[] = ['postgres', 'mariadb', 'redis']): void {
  let failure: unknown = null;
  const started: OwnServer[] = [];
  beforeAll(async () => {
    try {
      const wanted = servers.filter((k) => !SERVICES_ENV[OWN[k].variable]);
      const made = await Promise.all(wanted.map((k) => OWN[k].start()));
      started.push(...made);
      wanted.forEach((k, i) => {
        SERVICES_ENV[OWN[k].variable] = made[i]!.url;
        if (made[i]!.managementUrl) SERVICES_ENV.MINICLOUD_RABBITMQ_MANAGEMENT_URL = made[i]!.managementUrl;
      });
      await setup();
    } catch (e) {
      failure = e;
    }
  });
  afterAll(async () => { await Promise.all(started.map((s) => s.stop())); });
  beforeEach(() => { if (failure) throw failure; });
}

/** A name no other run uses: add-on tests share real servers. */
export function uniqueName(tag: string): string {
  return `t_${randomBytes(4).toString('hex')}_${tag}`;
}

const managementUp = async (url: string, auth: string) => {
  try {
    const res = await fetch(`${url}/api/overview`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
};

/**
 * Makes sure RabbitMQ's management API (which the rabbitmq add-on drives) answers: enables the plugin
 * when it is off (idempotent), then waits for port 15672. Throws saying how to enable it otherwise.
 */
export async function ensureRabbitManagement(): Promise<void> {
  const url = SERVICES_ENV.MINICLOUD_RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';
  const u = new URL(url);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  const base = u.origin;
  if (await managementUp(base, auth)) return;
  const how = 'enable it as root on the RabbitMQ host: rabbitmq-plugins enable rabbitmq_management ' +
    '(RabbitMQ itself must be running: service rabbitmq-server start)';
  try {
    await promisify(execFile)('rabbitmq-plugins', ['enable', 'rabbitmq_management'], { timeout: 60_000 });
  } catch (e) {
    throw new Error(`RabbitMQ's management API does not answer at ${base} and enabling it failed: ${(e as Error).message}\n${how}`);
  }
  for (let i = 0; i < 150; i++) {
    if (await managementUp(base, auth)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`RabbitMQ's management plugin is enabled but ${base} did not answer within 30 s\n${how}`);
}
