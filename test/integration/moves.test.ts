// Moving to another server: `minicloud backup` on installation A, `minicloud restore` on a fresh installation B (its own
// data dir, ports and Redis prefix, the same PostgreSQL and MariaDB servers): the app answers through B's router with its
// config var, its add-on's rows and its volume's file; a second app's MariaDB rows come too; A's databases stay A's.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { describeFiles, writeServerArchive } from '../../src/backups/server-archive.ts';
import { openDb } from '../../src/store/db.ts';
import { FORMAT, FORMAT_VERSION, type ServerManifest } from '../../src/backups/server-manifest.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, requireService, setupOrFailEach } from '../helpers/services.ts';

const env = SERVICES_ENV as Record<string, string>;
const APP = `mv-${randomBytes(3).toString('hex')}`; // the shared servers may serve other runs at once
const DOMAIN = `${APP}.example.test`;
const MY = `${APP}-my`; // a second app: a MariaDB add-on and no release yet
const files = mkdtempSync(join(tmpdir(), 'mc-moves-'));
const archive = join(files, 'x.tar.gz');

let redis: TestRedis | undefined;
let a: Minicloud | undefined;
let b: Minicloud | undefined;

setupOrFailEach(async () => {
  await requireService('PostgreSQL', async () => {
    const c = new pg.Client({ connectionString: env.MINICLOUD_POSTGRES_URL!, connectionTimeoutMillis: 5000 });
    await c.connect();
    await c.end();
  });
  redis = await startRedis();
  [a, b] = await Promise.all([startMinicloud(redis.url, env), startMinicloud(redis.url, env)]);
  await requireService('MariaDB', async () => { const c = await mysql.createConnection({ uri: env.MINICLOUD_MARIADB_URL!, connectTimeout: 5000 }); await c.end(); });
}, ['postgres', 'mariadb']);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  rmSync(files, { recursive: true, force: true });
});

const ask = async (m: Minicloud, path: string, host = `${APP}.localhost`) => {
  const r = await get(m.httpPort, host, path);
  expect(r.status, `${path} on ${host}: ${r.body}`).toBe(200);
  return JSON.parse(r.body) as Record<string, unknown>;
};
const configOf = async (m: Minicloud, app = APP) => (await m.api<Record<string, string>>('GET', `/api/apps/${app}/config`)).body;
const sql = async (url: string, q: string) => {
  const c = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
  try { return (await c.query(q))[0] as Array<Record<string, unknown>>; } finally { await c.end(); }
};

it('moves an app with a config var, a domain, a PostgreSQL add-on and a volume to a fresh server with two commands', async () => {
  const A = a!;
  const B = b!;
  expect((await A.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await A.cli('config:set', APP, 'GREETING=hello from A')).code).toBe(0);
  expect((await A.cli('domains:add', APP, DOMAIN)).code).toBe(0);
  expect((await A.api('POST', `/api/apps/${APP}/addons`, { kind: 'postgres' })).status).toBe(201);
  expect((await A.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
  const pushed = await push(fixtureRepo('node-moves'), A.gitUrl(APP));
  expect(pushed.code, pushed.output).toBe(0);
  const volume = (await A.api<Array<{ hostDir: string }>>('GET', `/api/apps/${APP}/storage`)).body[0]!.hostDir;
  writeFileSync(join(volume, 'kept.txt'), 'precious\n');
  expect(await ask(A, '/write?note=first')).toEqual({ ok: true });
  const aUrl = (await configOf(A)).DATABASE_URL!;
  expect((await A.api('POST', '/api/apps', { name: MY })).status).toBe(201);
  expect((await A.api('POST', `/api/apps/${MY}/addons`, { kind: 'mariadb' })).status).toBe(201);
  const aMy = (await configOf(A, MY)).DATABASE_URL!;
  await sql(aMy, 'CREATE TABLE kept (id INT PRIMARY KEY, body TEXT)');
  await sql(aMy, "INSERT INTO kept VALUES (1, 'from A')");

  const ci = (await A.api<{ token: string }>('POST', '/api/tokens', { name: `ci-${APP}`, role: 'read', apps: [APP] })).body.token;
  // Alert channels go along: the server's and the app's (webhook URLs stay masked in every listing).
  expect((await A.cli('alerts:add', 'webhook', 'https://hooks.slack.com/services/T0/B0/MOVEDSECRET')).code).toBe(0);
  expect((await A.cli('alerts:add', 'webhook', 'https://ops.example.test/hook', '--app', APP)).code).toBe(0);
  // Previews go along: on for the same branches, with the config only previews get.
  expect((await A.cli('previews:enable', APP, '--branches', 'feature/*', '--expire', '7d')).code).toBe(0);
  expect((await A.cli('config:set', APP, '--preview', 'PREVIEW_ONLY=yes')).code).toBe(0);
  const t0 = Date.now();
  const backedUp = await A.cli('backup', archive);
  const backupMs = Date.now() - t0;
  expect(backedUp.code, backedUp.stderr + backedUp.stdout).toBe(0);
  expect(backedUp.stdout).toContain(`apps: ${APP}, ${MY}`);
  expect(statSync(archive).mode & 0o777).toBe(0o600);
  expect(readFileSync(archive).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
  // Writing over an existing file is refused (an archive is never overwritten by mistake).
  expect((await A.cli('backup', archive)).stderr).toContain('exists already');

  const t1 = Date.now();
  const restored = await B.cli('restore', archive);
  const restoreMs = Date.now() - t1;
  expect(restored.code, restored.stderr + restored.stdout).toBe(0);
  expect(restored.stdout).toContain('2 of 2 app(s) restored');
  expect(restored.stdout).toContain(`${MY}: it had no release: push to deploy it`);
  console.log(`moves: archive ${statSync(archive).size} bytes; backup ${backupMs} ms, restore ${restoreMs} ms (rebuild included)`);

  // Through B's router: the config var, the add-on's row, the volume's file, the custom domain.
  expect(await ask(B, '/config?name=GREETING')).toEqual({ value: 'hello from A' });
  expect(await ask(B, '/notes')).toEqual({ notes: ['first'] });
  expect(await ask(B, '/file')).toEqual({ content: 'precious\n' });
  expect(await ask(B, '/', DOMAIN)).toEqual({ app: 'node-moves' });
  const releases = (await B.api<Array<{ version: number; current: boolean }>>('GET', `/api/apps/${APP}/releases`)).body;
  expect(releases.find((r) => r.current)!.version).toBeGreaterThan(Math.max(...releases.filter((r) => !r.current).map((r) => r.version)));

  expect((await B.api('GET', `/api/apps/${APP}/previews`)).body).toMatchObject({ enabled: true, branches: 'feature/*', expireSeconds: 7 * 86400, configKeys: ['PREVIEW_ONLY'] });
  const channels = (await B.api<Array<{ app: string | null; format: string; target: string }>>('GET', '/api/alerts')).body;
  expect(channels.map((c) => [c.app, c.format, c.target])).toEqual([[null, 'slack', 'https://hooks.slack.com/…'], [APP, 'json', 'https://ops.example.test/…']]);
  // A's tokens work on B (B's admin token stays B's own).
  expect((await fetch(`${B.apiUrl}/api/apps/${APP}`, { headers: { authorization: `Bearer ${ci}` } })).status).toBe(200);
  expect((await fetch(`${B.apiUrl}/api/apps/${APP}`, { headers: { authorization: `Bearer ${A.token}` } })).status).toBe(401);
  // B has a database and user of its own on the shared server; A's is untouched and stays A's.
  const bUrl = (await configOf(B)).DATABASE_URL!;
  expect(new URL(bUrl).username).not.toBe(new URL(aUrl).username);
  expect(new URL(bUrl).pathname).not.toBe(new URL(aUrl).pathname);
  expect(await ask(B, '/write?note=on-B')).toEqual({ ok: true });
  expect(await ask(A, '/notes')).toEqual({ notes: ['first'] });
  expect(await ask(B, '/notes')).toEqual({ notes: ['first', 'on-B'] });
  expect((await configOf(A)).DATABASE_URL).toBe(aUrl);
  // The same for MariaDB: B's own database holds the row, A's stays A's.
  const bMy = (await configOf(B, MY)).DATABASE_URL!;
  expect(new URL(bMy).username).not.toBe(new URL(aMy).username);
  expect(await sql(bMy, 'SELECT body FROM kept')).toEqual([{ body: 'from A' }]);
  await sql(bMy, "INSERT INTO kept VALUES (2, 'on B')");
  expect(await sql(aMy, 'SELECT body FROM kept')).toEqual([{ body: 'from A' }]);
});

it('refuses a server with apps, a truncated, foreign or broken archive, changing nothing; takes an older schema; admin only', async () => {
  const B = b!;
  const before = (await B.api<unknown[]>('GET', '/api/apps')).body;
  const again = await B.cli('restore', archive);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('this server already has 2 app(s)');
  expect(again.stderr).toContain('--force');
  // Refused before a large upload is taken in: the CLI gets the reason, not a broken pipe.
  writeFileSync(join(files, 'big.tar.gz'), randomBytes(48 * 1024 * 1024));
  const big = await B.cli('restore', join(files, 'big.tar.gz'));
  expect(big.stderr).toContain('this server already has 2 app(s)');
  const forced = await B.cli('restore', archive, '--force');
  expect(forced.stderr).toContain(`app(s) ${APP}, ${MY} exist on this server already; nothing was changed`);

  const whole = readFileSync(archive);
  writeFileSync(join(files, 'cut.tar.gz'), whole.subarray(0, Math.floor(whole.length / 2)));
  const cut = await B.cli('restore', join(files, 'cut.tar.gz'), '--force');
  expect(cut.code).toBe(1);
  expect(cut.stderr).toMatch(/truncated.*nothing was changed/);
  writeFileSync(join(files, 'foreign.tar.gz'), 'just some text\n');
  const foreign = await B.cli('restore', join(files, 'foreign.tar.gz'), '--force');
  expect(foreign.stderr).toMatch(/corrupt or not a tar.gz file.*nothing was changed/);
  // Whole and listed, but its database is no database: refused once opened, before anything is written.
  const stage = join(files, 'stage');
  mkdirSync(stage);
  writeFileSync(join(stage, 'minicloud.db'), 'not a database, whatever the manifest says\n');
  const m: ServerManifest = { format: FORMAT, formatVersion: FORMAT_VERSION, minicloudVersion: '0.1.0', schemaVersion: 1, createdAt: new Date().toISOString(), apps: [], files: await describeFiles(stage) };
  await writeServerArchive(stage, m, createWriteStream(join(files, 'bad-db.tar.gz')));
  const badDb = await B.cli('restore', join(files, 'bad-db.tar.gz'), '--force');
  expect(badDb.stderr).toMatch(/the archive's database cannot be read: .*nothing was changed/);
  expect((await B.api<unknown[]>('GET', '/api/apps')).body).toEqual(before);

  // An archive of an older minicloud (its database at the first schema) is brought up to this one's and restored.
  const OLD = `${APP}-old`;
  const older = join(files, 'older');
  mkdirSync(older);
  const db = openDb(join(older, 'minicloud.db'), 1);
  db.prepare("INSERT INTO apps (name, deploy_branch, created_at, state) VALUES (?, 'main', ?, 'running')").run(OLD, new Date().toISOString());
  db.prepare("INSERT INTO config_vars (app, key, value) VALUES (?, 'GREETING', 'from an older minicloud')").run(OLD);
  db.close();
  const om: ServerManifest = { ...m, schemaVersion: 1, apps: [{ name: OLD, release: null, backup: null }], files: await describeFiles(older) };
  await writeServerArchive(older, om, createWriteStream(join(files, 'older.tar.gz')));
  const upgraded = await B.cli('restore', join(files, 'older.tar.gz'), '--force');
  expect(upgraded.code, upgraded.stderr + upgraded.stdout).toBe(0);
  expect(upgraded.stdout).toContain('1 of 1 app(s) restored');
  expect((await configOf(B, OLD)).GREETING).toBe('from an older minicloud');

  const token = (await B.api<{ token: string }>('POST', '/api/tokens', { name: `read-${APP}`, role: 'read' })).body.token;
  const res = await fetch(`${B.apiUrl}/api/server/backup`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(403);
});
