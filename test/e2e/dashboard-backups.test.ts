// Backups off the box and of the whole server from the dashboard, in a real (headless) Chromium against s3rver (the
// S3 protocol on this machine): the target refused with a wrong key (said in the page), set, shown without its secret,
// removed; a backup copied to the bucket and checked; a fresh server restoring it from there with a click; the whole
// server's archive downloaded from one server and restored onto another.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import S3rver from 's3rver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { logInWithToken, statusAfter } from '../helpers/dashboard.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { freePort } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `db-${randomBytes(3).toString('hex')}`;
const BUCKET = 'mc-dash-backups';
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
let s3: S3rver;
let s3Dir: string;
let files: string;
let endpoint: string;
let redis: TestRedis;
let one: Minicloud; // the server whose disk dies
let two: Minicloud; // a fresh one, restoring from the bucket
let three: Minicloud; // a fresh one, restoring the whole server's archive
let browser: Browser;

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  files = mkdtempSync(join(tmpdir(), 'mc-dash-backups-'));
  const port = await freePort();
  s3 = new S3rver({ port, address: '127.0.0.1', directory: s3Dir, silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  redis = await startRedis();
  [one, two, three] = await Promise.all([startMinicloud(redis.url), startMinicloud(redis.url), startMinicloud(redis.url)]);
  ({ browser } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([one?.stop(), two?.stop(), three?.stop()]);
  await redis?.stop();
  await s3?.close().catch(() => {});
  rmSync(s3Dir, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

/** The app's volume on the host (made here: the app never runs in this test). */
const volumeDir = async (m: Minicloud) => {
  const dir = (await m.api<Array<{ hostDir: string }>>('GET', `/api/apps/${APP}/storage`)).body[0]!.hostDir;
  mkdirSync(dir, { recursive: true });
  return dir;
};
const withStorage = async (m: Minicloud) => {
  expect((await m.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await m.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
};
const adminPage = async (m: Minicloud, hash: string): Promise<Page> => {
  const p = await (await browser.newContext({ acceptDownloads: true })).newPage();
  p.setDefaultTimeout(60_000);
  p.on('dialog', (d) => void d.accept());
  await logInWithToken(p, m, hash);
  return p;
};
const fillTarget = async (p: Page, keyId: string) => {
  const form = p.getByRole('form', { name: 'Off-box backup target' });
  await form.getByLabel(/^Bucket/).fill(`s3://${BUCKET}/prod`);
  await form.getByLabel(/^Endpoint/).fill(endpoint);
  await form.getByLabel('Access key id').fill(keyId);
  await form.getByLabel('Secret access key').fill(SECRET);
  return form.getByRole('button', { name: 'Save target' });
};
let backupId = '';

it('sets the off-box target (a wrong key refused in the page), copies a backup there and checks it', async () => {
  await withStorage(one);
  writeFileSync(join(await volumeDir(one), 'kept.txt'), 'from the first server\n');
  const p = await adminPage(one, '#/backups');
  await p.getByRole('heading', { name: 'Off the box' }).waitFor();
  // s3rver checks the access key id: a wrong one is refused and nothing is kept.
  const refused = await statusAfter(p, async () => (await fillTarget(p, 'NOSUCHKEY')).click());
  expect(refused).toMatch(/^Failed: reaching the bucket at s3:\/\/mc-dash-backups\/prod .* failed/);
  expect((await one.api('GET', '/api/backups/target')).body).toBeNull();
  expect(await statusAfter(p, async () => (await fillTarget(p, 'S3RVER')).click())).toBe('Backups are copied to s3://mc-dash-backups/prod from now on.');
  expect(await p.locator('#backup-target').textContent()).toContain('S3RV');
  expect((await one.api('GET', '/api/backups/target')).body).toMatchObject({ url: `s3://${BUCKET}/prod`, endpoint });
  // The secret key is write-only: not in the page, not in its field, not in what the API answers.
  expect(await p.content()).not.toContain(SECRET);
  expect(await p.getByLabel('Secret access key').inputValue()).toBe('');
  expect(JSON.stringify((await one.api('GET', '/api/backups/target')).body)).not.toContain(SECRET);

  await p.evaluate((a) => { location.hash = `#/apps/${a}/backups`; }, APP);
  const made = await statusAfter(p, () => p.getByRole('button', { name: 'Create backup' }).click());
  expect(made).toMatch(/^Backup \S+ made and verified/);
  backupId = /^Backup (\S+) /.exec(made)![1]!;
  expect(existsSync(join(s3Dir, BUCKET, `prod/${APP}/${backupId}/manifest.json._S3rver_object`))).toBe(true);
  await p.waitForFunction((id) => document.querySelector('#remote-backups tbody')?.textContent?.includes(id), backupId);
  expect(await statusAfter(p, () => p.getByRole('button', { name: 'Read back and check' }).click())).toBe('1 backup(s) in the bucket read back: checksums match.');
  expect(await p.locator('#remote-backups tbody').textContent()).toContain('checksums match');
  await p.context().close();
});

it('restores a backup from the bucket onto a fresh server with a click', async () => {
  await withStorage(two);
  expect((await two.api('PUT', '/api/backups/target', { url: `s3://${BUCKET}/prod`, endpoint, accessKeyId: 'S3RVER', secretAccessKey: SECRET })).status).toBe(200);
  const p = await adminPage(two, `#/apps/${APP}/backups`);
  await p.waitForFunction((id) => document.querySelector('#remote-backups tbody')?.textContent?.includes(id), backupId);
  const restored = await statusAfter(p, () => p.getByRole('button', { name: `Restore ${backupId} from the bucket` }).click());
  expect(restored).toBe(`Restored volume /data from ${backupId} (off the box).`);
  expect(readFileSync(join(await volumeDir(two), 'kept.txt'), 'utf8')).toBe('from the first server\n');
  // Removing the target from the page: the copies stay, new backups no longer go there.
  await p.evaluate(() => { location.hash = '#/backups'; });
  const removed = await statusAfter(p, () => p.getByRole('button', { name: 'Stop copying off the box' }).click());
  expect(removed).toBe('Backups are no longer copied off the box; the copies in the bucket stay.');
  expect((await two.api('GET', '/api/backups/target')).body).toBeNull();
  expect(existsSync(join(s3Dir, BUCKET, `prod/${APP}/${backupId}/manifest.json._S3rver_object`))).toBe(true);
  await p.context().close();
});

it("downloads the whole server's archive from one server and restores it onto another", async () => {
  expect((await one.api('PATCH', `/api/apps/${APP}/config`, { GREETING: 'moved by the dashboard' })).status).toBe(200);
  const p = await adminPage(one, '#/backups');
  const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'Download a server backup' }).click()]);
  const archive = join(files, 'server.tar.gz');
  await download.saveAs(archive);
  expect(download.suggestedFilename()).toMatch(/^minicloud-backup-\d{4}-\d\d-\d\d\.tar\.gz$/);
  expect(readFileSync(archive).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  await p.context().close();

  const q = await adminPage(three, '#/backups');
  await q.getByLabel(/^Archive/).setInputFiles(archive);
  expect(await statusAfter(q, () => q.getByRole('button', { name: 'Restore server backup' }).click())).toBe('1 of 1 app(s) restored.');
  expect(await q.locator('#server-restore-log').textContent()).toContain('checked whole');
  expect((await three.api('GET', `/api/apps/${APP}/config`)).body).toMatchObject({ GREETING: 'moved by the dashboard' });
  // A second restore onto a server that has the app now is refused, in the page.
  expect(await statusAfter(q, () => q.getByRole('button', { name: 'Restore server backup' }).click())).toMatch(/^Failed: /);
  await q.context().close();
});
