// Add-ons end to end: each kind attached to a pushed app on this machine's shared servers, used by the app
// through the config vars minicloud sets, isolated from another app's, and gone with the add-on or the app.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { AddonInfo, Deploy } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, ensureRabbitManagement, requireService, setupOrFailEach } from '../helpers/services.ts';

type Kind = AddonInfo['kind'];

// The shared servers outlive this run and may serve others at once: app (hence add-on) names are this run's own.
const RUN = randomBytes(3).toString('hex');
const APP: Record<Kind | 'postgres2', string> = {
  mariadb: `ao-mariadb-${RUN}`,
  postgres: `ao-postgres-${RUN}`,
  rabbitmq: `ao-rabbitmq-${RUN}`,
  redis: `ao-redis-${RUN}`,
  postgres2: `ao-postgres2-${RUN}`,
};
const KEYS: Record<Kind, string[]> = {
  mariadb: ['DATABASE_URL', 'MARIADB_URL', 'MYSQL_URL'],
  postgres: ['DATABASE_URL', 'POSTGRES_URL'],
  rabbitmq: ['RABBITMQ_URL', 'AMQP_URL'],
  redis: ['REDIS_URL', 'REDIS_KEY_PREFIX'],
};
const PUSH_TIMEOUT = 240_000;

const env = SERVICES_ENV as Record<string, string>;
let redis: TestRedis | undefined;
let mc: Minicloud | undefined;
let repo: string;

/** The database name of an app's add-on, kept to check on the shared server once minicloud dropped it. */
const addonNames: Partial<Record<string, string>> = {};

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const withPgAdmin = <T>(fn: (c: pg.Client) => Promise<T>) => withPg(env.MINICLOUD_POSTGRES_URL!, fn);

setupOrFailEach(async () => {
  await requireService('PostgreSQL', () => withPgAdmin((c) => c.query('SELECT 1')));
  await requireService('MariaDB', async () => {
    const c = await mysql.createConnection({ uri: env.MINICLOUD_MARIADB_URL!, connectTimeout: 5000 });
    await c.end();
  });
  await requireService('Redis', async () => {
    const r = new Redis(env.MINICLOUD_REDIS_ADDON_URL!, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  });
  await requireService('RabbitMQ', async () => {
    const c = await amqp.connect(env.MINICLOUD_RABBITMQ_URL!, { timeout: 5000 });
    await c.close();
  });
  await ensureRabbitManagement();
  redis = await startRedis(); // minicloud's own Redis (queue and logs), not the add-on server
  mc = await startMinicloud(redis.url, { ...env, MINICLOUD_ADDON_CHECK_INTERVAL: '0.5' });
  repo = fixtureRepo('node-addons');
}, ['postgres', 'mariadb', 'redis', 'rabbitmq']);

afterAll(async () => {
  await mc?.stop(); // destroys the apps, and with them their add-ons on the shared servers
  await redis?.stop();
});

const m = () => mc!;

async function createAndPush(app: string): Promise<void> {
  const created = await m().api('POST', '/api/apps', { name: app });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const r = await push(repo, m().gitUrl(app));
  expect(r.code, r.output).toBe(0);
  expect((await get(m().httpPort, `${app}.localhost`, '/')).body).toBe(JSON.stringify({ app: 'node-addons' }));
}

/** Attaches the add-on through the API: 201, the config vars it set, and a restart that succeeded as v2. */
async function attach(app: string, kind: Kind): Promise<void> {
  const res = await m().api<{ addon: AddonInfo; deploy: Deploy | null }>('POST', `/api/apps/${app}/addons`, { kind });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.addon).toMatchObject({ app, kind, envKeys: KEYS[kind] });
  expect(res.body.deploy).toMatchObject({ app, status: 'succeeded', release: 2 });
  addonNames[app] = res.body.addon.name;
}

async function config(app: string): Promise<Record<string, string>> {
  const res = await m().api<Record<string, string>>('GET', `/api/apps/${app}/config`);
  expect(res.status).toBe(200);
  return res.body;
}

async function use(app: string, kind: Kind): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await get(m().httpPort, `${app}.localhost`, `/${kind}`);
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

describe('each kind, attached to a running app, works through its config vars', () => {
  it.each(['mariadb', 'postgres', 'rabbitmq'] as const)('%s', async (kind) => {
    const app = APP[kind];
    await createAndPush(app);
    await attach(app, kind);
    const vars = await config(app);
    for (const k of KEYS[kind]) expect(vars[k], k).toBeTruthy();
    const r = await use(app, kind);
    expect(r, JSON.stringify(r.body)).toMatchObject({ status: 200, body: { ok: true } });
    if (kind === 'rabbitmq') expect(r.body.got).toBe(r.body.sent);
    else expect(r.body.read).toBe(r.body.wrote);
  }, PUSH_TIMEOUT);

  it('redis, created and listed with the CLI', async () => {
    const app = APP.redis;
    await createAndPush(app);
    const created = await m().cli('addons:create', app, 'redis');
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe(
      `Creating redis for ${app}... done\n       Config vars: REDIS_URL, REDIS_KEY_PREFIX\n       Restarted ${app} as v2\n`,
    );
    const list = await m().cli('addons', app);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KIND +NAME +CONFIG VARS +CREATED$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^redis +mc_\w+ +REDIS_URL, REDIS_KEY_PREFIX +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)]);
    const json = JSON.parse((await m().cli('addons', app, '--json')).stdout) as AddonInfo[];
    expect(json).toEqual([expect.objectContaining({ app, kind: 'redis', envKeys: KEYS.redis })]);
    const r = await use(app, 'redis');
    expect(r, JSON.stringify(r.body)).toMatchObject({ status: 200, body: { ok: true } });

    // Keys outside its prefix and admin commands are refused to the app's own user.
    const vars = await config(app);
    expect(vars.REDIS_KEY_PREFIX).toBe(`${json[0]!.name}:`);
    const own = new Redis(vars.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    own.on('error', () => {});
    try {
      await own.connect();
      expect(await own.get(`${vars.REDIS_KEY_PREFIX}greeting`)).toBe(r.body.value);
      await expect(own.get('someone-else:greeting')).rejects.toThrow(/NOPERM/);
      await expect(own.flushall()).rejects.toThrow(/NOPERM/);
    } finally {
      own.disconnect();
    }

    // A restarted Redis forgets its ACL users: minicloud puts the app's back, with the same password.
    const admin = new Redis(env.MINICLOUD_REDIS_ADDON_URL!, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => {});
    try {
      await admin.connect();
      expect(await admin.call('ACL', 'DELUSER', json[0]!.name)).toBe(1);
      await until('the ACL user restored', async () => ((await admin.call('ACL', 'GETUSER', json[0]!.name)) !== null ? true : undefined), 10_000);
    } finally {
      admin.disconnect();
    }
    expect(await use(app, 'redis')).toMatchObject({ status: 200, body: { ok: true } });
    expect(m().output()).toContain(`${app}: the redis add-on's user was gone from the shared server (restarted?); restored it`);
  }, PUSH_TIMEOUT);
});

describe('isolation between two apps of the same kind', () => {
  it("one app's postgres user cannot connect to another app's database", async () => {
    const app2 = APP.postgres2;
    await createAndPush(app2);
    await attach(app2, 'postgres');
    expect(await use(app2, 'postgres')).toMatchObject({ status: 200, body: { ok: true } });

    const theirs = new URL((await config(APP.postgres)).DATABASE_URL!);
    const mine = new URL((await config(app2)).DATABASE_URL!);
    expect(mine.username).not.toBe(theirs.username);
    expect(mine.pathname).not.toBe(theirs.pathname);
    // Its own database: fine.
    expect((await withPg(mine.href, (c) => c.query<{ u: string }>('SELECT current_user AS u'))).rows[0]?.u).toBe(decodeURIComponent(mine.username));
    // The other app's database with its own user and password: refused by the server.
    const intruder = new URL(mine.href);
    intruder.pathname = theirs.pathname;
    const denied = await withPg(intruder.href, (c) => c.query('SELECT body FROM notes')).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(denied?.message).toMatch(/permission denied for database/);
    expect(denied?.code).toBe('42501');
  }, PUSH_TIMEOUT);
});

describe('destroying', () => {
  it('addons:destroy needs the confirmation, then removes the config vars, the database and the access', async () => {
    const app = APP.postgres2;
    const name = addonNames[app]!;
    const unconfirmed = await m().api('DELETE', `/api/apps/${app}/addons/postgres`);
    expect(unconfirmed.status).toBe(400);
    expect((await m().api<AddonInfo[]>('GET', `/api/apps/${app}/addons`)).body).toHaveLength(1);

    const cli = await m().cli('addons:destroy', app, 'postgres');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`This deletes ${app}'s postgres and all its data`);

    const done = await m().cli('addons:destroy', app, 'postgres', '--confirm', app);
    expect(done, done.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(done.stdout).toBe(`Destroying postgres of ${app}... done\n       Restarted ${app} as v3\n`);

    const vars = await config(app);
    expect(vars).not.toHaveProperty('DATABASE_URL');
    expect(vars).not.toHaveProperty('POSTGRES_URL');
    expect((await m().api<AddonInfo[]>('GET', `/api/apps/${app}/addons`)).body).toEqual([]);
    const r = await use(app, 'postgres');
    expect(r).toMatchObject({ status: 500, body: { error: 'DATABASE_URL is not set' } });
    const left = await withPgAdmin(async (c) => ({
      db: (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
      role: (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount,
    }));
    expect(left).toEqual({ db: 0, role: 0 });
    // The other app's add-on is untouched.
    expect(await use(APP.postgres, 'postgres')).toMatchObject({ status: 200, body: { ok: true } });
  }, PUSH_TIMEOUT);

  it('apps:destroy of an app with an add-on drops its database and user on the shared server', async () => {
    const app = APP.postgres;
    const name = addonNames[app]!;
    expect(name).toMatch(/^mc_/);
    const exists = () => withPgAdmin(async (c) => ({
      db: (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
      role: (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount,
    }));
    expect(await exists()).toEqual({ db: 1, role: 1 });
    const r = await m().cli('apps:destroy', app, '--confirm', app);
    expect(r.code, r.stderr).toBe(0);
    expect(await exists()).toEqual({ db: 0, role: 0 });
    expect((await m().api('GET', `/api/apps/${app}`)).status).toBe(404);
  }, PUSH_TIMEOUT);

  it('apps:destroy drops a mariadb database and user too', async () => {
    const app = APP.mariadb;
    const name = addonNames[app]!;
    const exists = async () => {
      const c = await mysql.createConnection({ uri: env.MINICLOUD_MARIADB_URL!, connectTimeout: 5000 });
      try {
        const [dbs] = await c.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
        const [users] = await c.query('SELECT 1 FROM mysql.user WHERE User = ?', [name]);
        return { db: (dbs as unknown[]).length, users: (users as unknown[]).length };
      } finally {
        await c.end();
      }
    };
    expect(await exists()).toEqual({ db: 1, users: 2 });
    expect((await m().api('DELETE', `/api/apps/${app}?confirm=${app}`)).status).toBeLessThan(300);
    expect(await exists()).toEqual({ db: 0, users: 0 });
  });
});
