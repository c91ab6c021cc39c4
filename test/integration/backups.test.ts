// Backups end to end: a pushed app with a postgres add-on and storage is backed up (its dump verified by a
// scratch restore), restored after its table is dropped, and a corrupted backup is refused without touching anything.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { Backup } from '../../src/backups/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, requireService, setupOrFailEach } from '../helpers/services.ts';

const env = SERVICES_ENV as Record<string, string>;
const APP = `bk-${randomBytes(3).toString('hex')}`; // the shared servers may serve other runs at once
const PUSH_TIMEOUT = 240_000;

let redis: TestRedis | undefined;
let mc: Minicloud | undefined;
let repo: string;
const m = () => mc!;

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

setupOrFailEach(async () => {
  await requireService('PostgreSQL', () => withPg(env.MINICLOUD_POSTGRES_URL!, (c) => c.query('SELECT 1')));
  await requireService('MariaDB', async () => {
    const c = await mysql.createConnection({ uri: env.MINICLOUD_MARIADB_URL!, connectTimeout: 5000 });
    await c.end();
  });
  redis = await startRedis();
  mc = await startMinicloud(redis.url, env);
  repo = fixtureRepo('node-addons');
});

afterAll(async () => {
  await mc?.stop(); // destroys the app, and with it its database on the shared server
  await redis?.stop();
});

const dbUrl = async () => (await m().api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body.DATABASE_URL!;
const notes = async () => withPg(await dbUrl(), async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM notes')).rows[0]!.n));
const volumeDir = async () => (await m().api<Array<{ path: string; hostDir: string }>>('GET', `/api/apps/${APP}/storage`)).body[0]!.hostDir;
const write = async () => {
  const r = await get(m().httpPort, `${APP}.localhost`, '/postgres');
  expect(r.status, r.body).toBe(200);
};
let backup: Backup;

it('backs up a postgres add-on and a volume, verified by restoring the dump into a scratch database', async () => {
  expect((await m().api('POST', '/api/apps', { name: APP })).status).toBe(201);
  const pushed = await push(repo, m().gitUrl(APP));
  expect(pushed.code, pushed.output).toBe(0);
  const addon = await m().api('POST', `/api/apps/${APP}/addons`, { kind: 'postgres' });
  expect(addon.status, JSON.stringify(addon.body)).toBe(201);
  expect((await m().api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
  await write();
  await write();
  expect(await notes()).toBe(2);
  writeFileSync(join(await volumeDir(), 'kept.txt'), 'precious\n');

  const created = await m().cli('backups:create', APP);
  expect(created.code, created.stderr + created.stdout).toBe(0);
  expect(created.stdout).toMatch(/done: \S+ is good/);
  const list = await m().api<Backup[]>('GET', `/api/apps/${APP}/backups`);
  expect(list.body).toHaveLength(1);
  backup = list.body[0]!;
  expect(backup.status).toBe('good');
  const pgPart = backup.parts.find((p) => p.kind === 'postgres')!;
  expect(pgPart).toMatchObject({
    name: 'postgres', verified: true, tables: 1, rows: { 'public.notes': 2 }, restoredRows: { 'public.notes': 2 },
  });
  expect(pgPart.reason).toContain('scratch database');
  expect(backup.parts.find((p) => p.kind === 'volume')).toMatchObject({ name: 'volume /data', verified: true });
  // The files: 0600, with a manifest holding each part's checksum; no password anywhere in minicloud's output.
  for (const f of [...backup.parts.map((p) => p.file), 'manifest.json']) expect(statSync(join(backup.dir, f)).mode & 0o777, f).toBe(0o600);
  const manifest = JSON.parse(readFileSync(join(backup.dir, 'manifest.json'), 'utf8')) as { parts: Array<{ file: string; sha256: string }> };
  expect(manifest.parts.map((p) => p.sha256).sort()).toEqual(backup.parts.map((p) => p.sha256).sort());
  expect(m().output()).not.toContain(new URL(await dbUrl()).password);
  // No scratch database is left behind.
  const scratch = await withPg(env.MINICLOUD_POSTGRES_URL!, (c) => c.query("SELECT datname FROM pg_database WHERE datname LIKE 'mc_verify_%'"));
  expect(scratch.rows).toEqual([]);

  const shown = await m().cli('backups', APP);
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stdout).toMatch(new RegExp(`${backup.id}\\s+.+\\s+good\\s+postgres 1 tables/2 rows ok, volume /data \\d+ entries ok`));
}, PUSH_TIMEOUT);

it('restores the dropped table and the volume, then restarts the app', async () => {
  await withPg(await dbUrl(), (c) => c.query('DROP TABLE notes'));
  writeFileSync(join(await volumeDir(), 'kept.txt'), 'overwritten\n');
  writeFileSync(join(await volumeDir(), 'new.txt'), 'not in the backup\n');

  const r = await m().cli('backups:restore', APP, backup.id);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toContain('done: postgres, volume /data');
  expect(await notes()).toBe(2);
  const dir = await volumeDir();
  expect(readFileSync(join(dir, 'kept.txt'), 'utf8')).toBe('precious\n');
  expect(existsSync(join(dir, 'new.txt'))).toBe(false);
  await write(); // the restarted app uses the restored database
  expect(await notes()).toBe(3);
}, PUSH_TIMEOUT);

it('refuses a backup with a corrupted part, naming it and its checksum, and touches nothing', async () => {
  appendFileSync(join(backup.dir, 'postgres.dump'), 'x');
  const before = await notes();
  const r = await m().api<{ error: string }>('POST', `/api/apps/${APP}/backups/${backup.id}/restore`);
  expect(r.status).toBe(409);
  expect(r.body.error).toContain('part postgres (postgres.dump) is corrupted');
  expect(r.body.error).toContain(`the manifest says ${backup.parts.find((p) => p.kind === 'postgres')!.sha256}`);
  expect(r.body.error).toContain('nothing was restored');
  expect(await notes()).toBe(before);
  const cli = await m().cli('backups:restore', APP, backup.id);
  expect(cli.code).toBe(1);
  expect(cli.stderr).toContain('postgres.dump) is corrupted');
});

it('backs up and restores a mariadb add-on the same way', async () => {
  const app = `${APP}-my`;
  expect((await m().api('POST', '/api/apps', { name: app })).status).toBe(201);
  const pushed = await push(repo, m().gitUrl(app));
  expect(pushed.code, pushed.output).toBe(0);
  expect((await m().api('POST', `/api/apps/${app}/addons`, { kind: 'mariadb' })).status).toBe(201);
  expect((await get(m().httpPort, `${app}.localhost`, '/mariadb')).status).toBe(200);
  const url = (await m().api<Record<string, string>>('GET', `/api/apps/${app}/config`)).body.DATABASE_URL!;
  const sql = async (q: string) => {
    const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
    try { return (await c.query(q))[0] as Array<Record<string, unknown>>; } finally { await c.end(); }
  };
  const made = await m().api<Backup>('POST', `/api/apps/${app}/backups`);
  expect(made.body, JSON.stringify(made.body)).toMatchObject({ status: 'good', parts: [{ name: 'mariadb', verified: true, tables: 1, rows: { notes: 1 }, restoredRows: { notes: 1 } }] });
  await sql('DROP TABLE notes');
  const r = await m().api<{ restored: string[] }>('POST', `/api/apps/${app}/backups/${made.body.id}/restore`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.restored).toEqual(['mariadb']);
  expect(await sql('SELECT COUNT(*) AS n FROM notes')).toEqual([{ n: 1 }]);
  expect((await get(m().httpPort, `${app}.localhost`, '/mariadb')).status).toBe(200);
}, PUSH_TIMEOUT);

it('sets, shows and clears a schedule', async () => {
  const set = await m().cli('backups:schedule', APP, 'weekly', '--keep', '3');
  expect(set.code, set.stderr).toBe(0);
  expect(set.stdout).toContain(`${APP} is backed up weekly, keeping 3 good backup(s)`);
  expect((await m().api('PUT', `/api/apps/${APP}/backups/schedule`, { frequency: 'monthly' })).status).toBe(400);
  const off = await m().cli('backups:schedule', APP, 'off');
  expect(off.stdout).toContain(`${APP} has no backup schedule`);
});
