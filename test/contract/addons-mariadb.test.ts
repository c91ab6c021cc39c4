// Contract: the mariadb add-on against a real MariaDB server.
import mysql from 'mysql2/promise';
import { afterAll, expect, it } from 'vitest';
import { providerFor, type AddonProvider, type Provisioned } from '../../src/addons/index.ts';
import { UserError } from '../../src/core/index.ts';
import { requireService, SERVICES_ENV, setupOrFailEach, uniqueName } from '../helpers/services.ts';

let provider: AddonProvider; // made once the file's servers are up (setupOrFailEach)
const a = uniqueName('a');
const b = uniqueName('b');
// What an unescaped `GRANT ... ON app_a.*` would also cover: `_` matches any character there.
const lookalike = a.replace(/_/g, 'x');
let pa: Provisioned;
let pb: Provisioned;

const connect = (url: string) => mysql.createConnection({ uri: url, connectTimeout: 5000 });
const admin = () => connect(SERVICES_ENV.MINICLOUD_MARIADB_URL!);
const onDatabase = (url: string, db: string) => { const u = new URL(url); u.pathname = `/${db}`; return u.href; };

async function refusal(url: string): Promise<{ code?: string; message: string }> {
  const c = await connect(url).catch((e: { code?: string; message: string }) => e);
  if ('end' in c) { await c.end(); throw new Error(`connected to ${new URL(url).pathname}`); }
  return c;
}

async function withAdmin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await admin();
  try { return await fn(c); } finally { await c.end(); }
}

setupOrFailEach(async () => {
  provider = providerFor('mariadb', SERVICES_ENV);
  await requireService('MariaDB', () => provider.check());
  pa = await provider.create(a);
  pb = await provider.create(b);
});

afterAll(async () => {
  for (const n of [a, b]) await provider?.destroy(n, { user: n }).catch(() => {});
  await withAdmin((c) => c.query('DROP DATABASE IF EXISTS ??', [lookalike])).catch(() => {});
  await provider?.close();
});

it('creates a database the app can write and read with the returned URL', async () => {
  expect(pa.env.DATABASE_URL).toMatch(new RegExp(`^mysql://${a}:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${new URL(SERVICES_ENV.MINICLOUD_MARIADB_URL!).port}/${a}$`));
  expect(pa.env.MARIADB_URL).toBe(pa.env.DATABASE_URL);
  expect(pa.env.MYSQL_URL).toBe(pa.env.DATABASE_URL);
  expect(pa.credentials).toMatchObject({ user: a, database: a, url: pa.env.DATABASE_URL });
  const c = await connect(pa.env.DATABASE_URL!);
  try {
    await c.query('CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT)');
    await c.query('INSERT INTO notes (body) VALUES (?)', ['hello']);
    const [rows] = await c.query('SELECT body FROM notes');
    expect(rows).toEqual([{ body: 'hello' }]);
  } finally {
    await c.end();
  }
});

it('says what the database holds', async () => {
  expect(await provider.usage(a, pa.credentials)).toMatch(/^\d+\.\d KB in 1 table$/);
  expect(await provider.usage(b, pb.credentials)).toBe('0.0 KB in 0 tables');
});

it("refuses app B's user on app A's database, and the other way round", async () => {
  const e = await refusal(onDatabase(pb.env.DATABASE_URL!, a));
  expect(e.code).toBe('ER_DBACCESS_DENIED_ERROR'); // 1044
  expect(e.message).toMatch(new RegExp(`Access denied for user '${b}'@.* to database '${a}'`));
  expect((await refusal(onDatabase(pa.env.DATABASE_URL!, b))).code).toBe('ER_DBACCESS_DENIED_ERROR');
});

it("does not let the grant's `_` match other databases' names", async () => {
  await withAdmin((c) => c.query('CREATE DATABASE IF NOT EXISTS ??', [lookalike]));
  expect((await refusal(onDatabase(pa.env.DATABASE_URL!, lookalike))).code).toBe('ER_DBACCESS_DENIED_ERROR');
});

it('creates idempotently: the data stays, the new password works and the old one does not', async () => {
  const again = await provider.create(a);
  expect(again.credentials.password).not.toBe(pa.credentials.password);
  const c = await connect(again.env.DATABASE_URL!);
  try {
    const [rows] = await c.query('SELECT body FROM notes');
    expect(rows).toEqual([{ body: 'hello' }]);
  } finally {
    await c.end();
  }
  expect((await refusal(pa.env.DATABASE_URL!)).code).toBe('ER_ACCESS_DENIED_ERROR');
  pa = again;
});

it('destroys the database and the user, ending open sessions; a second destroy is harmless', async () => {
  const open = await connect(pa.env.DATABASE_URL!);
  open.on('error', () => {});
  await provider.destroy(a, pa.credentials);
  await expect(open.query('SELECT 1')).rejects.toThrow(); // killed
  open.destroy();
  const e = await refusal(pa.env.DATABASE_URL!);
  // 1045, or now and then 1698: MariaDB answers an unknown user either way (both are "Access denied").
  expect(e.code).toMatch(/^ER_ACCESS_DENIED_(NO_PASSWORD_)?ERROR$/);
  expect(e.message).toMatch(new RegExp(`Access denied for user '${a}'`));
  const [schemas] = await withAdmin((c) => c.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [a]));
  expect(schemas).toEqual([]);
  const [users] = await withAdmin((c) => c.query('SELECT Host FROM mysql.user WHERE User = ?', [a]));
  expect(users).toEqual([]);
  await provider.destroy(a, pa.credentials);
});

it('names a missing or malformed admin URL, and refuses unsafe names', async () => {
  expect(() => providerFor('mariadb', {})).toThrow(UserError);
  expect(() => providerFor('mariadb', {})).toThrow(/^MINICLOUD_MARIADB_URL is not set: set it to the shared MariaDB server's admin URL, e.g. mysql:\/\//);
  expect(() => providerFor('mariadb', { MINICLOUD_MARIADB_URL: 'localhost:3306' })).toThrow(/MINICLOUD_MARIADB_URL must be/);
  for (const bad of ["x'@'%' IDENTIFIED BY 'p", 'a`b', 'mysql', 'root', '_x']) {
    await expect(provider.create(bad)).rejects.toThrow(UserError);
  }
  const down = providerFor('mariadb', { MINICLOUD_MARIADB_URL: 'mysql://root:pw@127.0.0.1:1' });
  await expect(down.check()).rejects.toThrow(/MINICLOUD_MARIADB_URL.*ECONNREFUSED/);
});

it('says whether a name is taken on the server (a restore then picks another)', async () => {
  expect(await provider.exists!(b)).toBe(true); // a was destroyed above
  expect(await provider.exists!(uniqueName('free'))).toBe(false);
});
