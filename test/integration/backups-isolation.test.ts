// Backups verify with the app's own rights: an app's dump whose CHECK constraint calls its own function
// (ALTER ROLE … SUPERUSER, COPY … TO PROGRAM) gains nothing when backups:create restores it into a scratch database.
// PostgreSQL and MariaDB here require passwords: this file starts its own on free ports (the machine's are trust-authenticated).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Backup } from '../../src/backups/index.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startOwnMariadb, startOwnPostgres, type OwnServer } from '../helpers/own-servers.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `bki-${randomBytes(3).toString('hex')}`;
const PWNED = `/tmp/mc-pwned-${randomBytes(4).toString('hex')}`;
let pgServer: OwnServer;
let myServer: OwnServer;
let redis: TestRedis;
let mc: Minicloud;

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try { return await fn(c); } finally { await c.end().catch(() => {}); }
}

const config = async () => (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
const roleOf = (url: string) => decodeURIComponent(new URL(url).username);
/** `minicloud backups:create`, as the user types it; the backup it made, as the API lists it. */
async function backupsCreate(): Promise<{ backup: Backup; output: string }> {
  const made = await mc.cli('backups:create', APP);
  const list = (await mc.api<Backup[]>('GET', `/api/apps/${APP}/backups`)).body;
  return { backup: list.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]!, output: made.stdout + made.stderr };
}

beforeAll(async () => {
  [pgServer, myServer, redis] = await Promise.all([startOwnPostgres(), startOwnMariadb(), startRedis()]);
  mc = await startMinicloud(redis.url, { MINICLOUD_POSTGRES_URL: pgServer.url, MINICLOUD_MARIADB_URL: myServer.url });
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  for (const kind of ['postgres', 'mariadb']) expect((await mc.api('POST', `/api/apps/${APP}/addons`, { kind })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await Promise.all([pgServer?.stop(), myServer?.stop(), redis?.stop()]);
});

it('a planted PostgreSQL function run by the backup check leaves the app role NOSUPERUSER and writes no file', async () => {
  const url = (await config()).POSTGRES_URL!;
  const role = roleOf(url);
  await withPg(url, async (c) => {
    // Each attack in its own block: whichever the server refuses, the next still runs and the restore goes on.
    await c.query(`CREATE FUNCTION evil(x int) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN
      BEGIN EXECUTE format('ALTER ROLE %I SUPERUSER', ${pg.escapeLiteral(role)}); EXCEPTION WHEN others THEN NULL; END;
      BEGIN EXECUTE ${pg.escapeLiteral(`COPY (SELECT 1) TO PROGRAM 'touch ${PWNED}'`)}; EXCEPTION WHEN others THEN NULL; END;
      RETURN true; END $f$`);
    await c.query('CREATE TABLE planted (x int CHECK (public.evil(x)))');
    await c.query('INSERT INTO planted VALUES (1), (2)');
  });
  const { backup, output } = await backupsCreate();
  expect(backup.parts.find((p) => p.kind === 'postgres')?.restoredRows, output).toEqual({ 'public.planted': 2 });
  const superuser = await withPg(pgServer.url, async (c) => (await c.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role])).rows[0]?.rolsuper);
  expect(superuser).toBe(false);
  expect(existsSync(PWNED)).toBe(false);
});

it('a MariaDB dump loads into the scratch database as the app user, who has no server-wide rights before or after', async () => {
  const url = (await config()).MARIADB_URL!;
  const c = await mysql.createConnection({ uri: url });
  await c.query('CREATE TABLE kept (id INT PRIMARY KEY)');
  await c.query('INSERT INTO kept VALUES (1), (2), (3)');
  await c.end();
  const { backup, output } = await backupsCreate();
  const part = backup.parts.find((p) => p.kind === 'mariadb');
  expect(part?.verified, `${part?.reason}\n${output}`).toBe(true);
  expect(part?.restoredRows).toEqual({ kept: 3 });
  const admin = await mysql.createConnection({ uri: myServer.url });
  const [rows] = await admin.query('SELECT COUNT(*) AS n FROM mysql.db WHERE Db LIKE ?', ['mc\\_verify\\_%']);
  await admin.end();
  expect((rows as Array<{ n: number }>)[0]!.n).toBe(0); // the scratch grant went with the scratch database
});
