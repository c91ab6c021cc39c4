// Contract: the postgres add-on against a real PostgreSQL server (its own, password-protected: see helpers/services.ts).
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { providerFor, type AddonProvider, type Provisioned } from '../../src/addons/index.ts';
import { UserError } from '../../src/core/index.ts';
import { requireService, SERVICES_ENV, setupOrFailEach, uniqueName } from '../helpers/services.ts';

let provider: AddonProvider; // made once the file's servers are up (setupOrFailEach)
const a = uniqueName('a');
const b = uniqueName('b');
let pa: Provisioned;
let pb: Provisioned;

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function refusal(url: string): Promise<{ code?: string; message: string }> {
  const c = await connect(url).catch((e: { code?: string; message: string }) => e);
  if (c instanceof pg.Client) { await c.end(); throw new Error(`connected to ${new URL(url).pathname}`); }
  return c;
}

const onDatabase = (url: string, db: string) => { const u = new URL(url); u.pathname = `/${db}`; return u.href; };

setupOrFailEach(async () => {
  provider = providerFor('postgres', SERVICES_ENV);
  await requireService('PostgreSQL', () => provider.check());
  pa = await provider.create(a);
  pb = await provider.create(b);
});

afterAll(async () => {
  for (const n of [a, b]) await provider?.destroy(n, { user: n }).catch(() => {});
  await provider?.close();
});

it('creates a database the app can write and read with the returned URL', async () => {
  expect(pa.env.DATABASE_URL).toBe(pa.env.POSTGRES_URL);
  expect(pa.env.DATABASE_URL).toMatch(new RegExp(`^postgres://${a}:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${new URL(SERVICES_ENV.MINICLOUD_POSTGRES_URL!).port}/${a}$`));
  expect(pa.credentials).toMatchObject({ user: a, database: a, url: pa.env.DATABASE_URL });
  const c = await connect(pa.env.DATABASE_URL!);
  try {
    await c.query('CREATE TABLE notes (id serial PRIMARY KEY, body text)');
    await c.query('INSERT INTO notes (body) VALUES ($1)', ['hello']);
    expect((await c.query('SELECT body FROM notes')).rows).toEqual([{ body: 'hello' }]);
  } finally {
    await c.end();
  }
});

it("refuses app B's role on app A's database, and the other way round", async () => {
  const e = await refusal(onDatabase(pb.env.DATABASE_URL!, a));
  expect(e.code).toBe('42501'); // insufficient_privilege
  expect(e.message).toMatch(/permission denied for database/);
  expect((await refusal(onDatabase(pa.env.DATABASE_URL!, b))).code).toBe('42501');
});

it('creates idempotently: the data stays, the new credentials work', async () => {
  const again = await provider.create(a);
  expect(again.credentials.password).not.toBe(pa.credentials.password);
  const c = await connect(again.env.DATABASE_URL!);
  try {
    expect((await c.query('SELECT body FROM notes')).rows).toEqual([{ body: 'hello' }]);
  } finally {
    await c.end();
  }
  pa = again;
});

it('destroys the database and the role, ending open sessions; a second destroy is harmless', async () => {
  const open = await connect(pa.env.DATABASE_URL!);
  await provider.destroy(a, pa.credentials);
  await expect(open.query('SELECT 1')).rejects.toThrow(); // WITH (FORCE) ended it
  await open.end().catch(() => {});
  const e = await refusal(pa.env.DATABASE_URL!);
  // A password-checking server does not say whether the role exists; the admin sees that it is gone.
  expect(e.code).toBe('28P01');
  expect(e.message).toMatch(new RegExp(`password authentication failed for user "${a}"`));
  const admin = await connect(SERVICES_ENV.MINICLOUD_POSTGRES_URL!);
  try {
    expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [a])).rowCount).toBe(0);
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [a])).rowCount).toBe(0);
  } finally {
    await admin.end();
  }
  await provider.destroy(a, pa.credentials);
});

it('names a missing or malformed admin URL, and refuses unsafe names', async () => {
  expect(() => providerFor('postgres', {})).toThrow(UserError);
  expect(() => providerFor('mongodb' as never, {})).toThrow(/unknown add-on kind "mongodb"/);
  expect(() => providerFor('postgres', {})).toThrow(/^MINICLOUD_POSTGRES_URL is not set: set it to the shared PostgreSQL server's admin URL, e.g. postgres:\/\//);
  expect(() => providerFor('postgres', { MINICLOUD_POSTGRES_URL: 'not a url' })).toThrow(/MINICLOUD_POSTGRES_URL is not a valid URL/);
  expect(() => providerFor('postgres', { MINICLOUD_POSTGRES_URL: 'mysql://x@h' })).toThrow(/MINICLOUD_POSTGRES_URL must be/);
  expect(() => providerFor('postgres', { MINICLOUD_POSTGRES_URL: 'postgres://u:%zz@h/db' })).toThrow(/MINICLOUD_POSTGRES_URL has a badly/);
  for (const bad of ['x"; DROP ROLE postgres; --', 'App', '1app', 'postgres', 'a'.repeat(64)]) {
    await expect(provider.create(bad)).rejects.toThrow(UserError);
  }
  const down = providerFor('postgres', { MINICLOUD_POSTGRES_URL: 'postgres://postgres:pw@127.0.0.1:1/postgres' });
  await expect(down.check()).rejects.toThrow(/MINICLOUD_POSTGRES_URL.*ECONNREFUSED/);
});

it('says whether a name is taken on the server (a restore then picks another)', async () => {
  expect(await provider.exists!(b)).toBe(true); // a was destroyed above
  expect(await provider.exists!(uniqueName('free'))).toBe(false);
});
