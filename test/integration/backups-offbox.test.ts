// Backups off the box, against s3rver (a real S3 protocol server on this machine): a target refused with wrong keys,
// backups copied and read back, a corrupted object found when a fresh server (a second data dir) fetches it, a good
// one restored there, one downloaded as a tar file, the retention rules applied to the bucket, a failed copy reported.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OffBox, TargetFile, type Backup } from '../../src/backups/index.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { freePort } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `ob-${randomBytes(3).toString('hex')}`;
const BUCKET = 'mc-backups';
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
let s3: S3rver;
let s3Dir: string;
let endpoint: string;
let redis: TestRedis;
let one: Minicloud; // the server whose disk dies
let two: Minicloud; // the fresh one
const ids: string[] = [];
const multipart: string[] = [];

beforeAll(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 's3rver-'));
  const port = await freePort();
  s3 = new S3rver({ port, address: '127.0.0.1', directory: s3Dir, silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  // Which objects arrived as a completed multipart upload (s3rver's S3 event for it is `ObjectCreated:Post`).
  (s3 as unknown as import('node:events').EventEmitter).on('event', (e: { Records: Array<{ eventName: string; s3: { object: { key: string } } }> }) => {
    for (const r of e.Records) if (r.eventName === 'ObjectCreated:Post') multipart.push(r.s3.object.key);
  });
  await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  // The CLI reads its keys from the environment, never from the command line.
  // s3rver checks the access key id (SigV4 signatures it does not recompute): the secret is ours to look for in logs.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  redis = await startRedis();
  one = await startMinicloud(redis.url);
  two = await startMinicloud(redis.url);
});

afterAll(async () => {
  await one?.stop();
  await two?.stop();
  await redis?.stop();
  await s3?.close().catch(() => {});
  rmSync(s3Dir, { recursive: true, force: true });
});

/** The app's volume on the host (made here: the app never runs in this test, and its runtime makes it on start). */
const volumeDir = async (m: Minicloud) => {
  const dir = (await m.api<Array<{ hostDir: string }>>('GET', `/api/apps/${APP}/storage`)).body[0]!.hostDir;
  mkdirSync(dir, { recursive: true });
  return dir;
};
const withStorage = async (m: Minicloud) => {
  expect((await m.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  expect((await m.api('POST', `/api/apps/${APP}/storage`, { path: '/data' })).status).toBe(201);
};
/** s3rver's file for an object: `<dir>/<bucket>/<key dirs>/<name>._S3rver_object`. */
const objectFile = (key: string) => join(s3Dir, BUCKET, `${key}._S3rver_object`);

it('refuses a target whose keys the bucket rejects, and keeps none', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'NOSUCHKEY';
  const wrong = await one.cli('backups:target', `s3://${BUCKET}/prod`, '--endpoint', endpoint);
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toMatch(/reaching the bucket at s3:\/\/mc-backups\/prod .* failed/);
  expect(existsSync(join(one.dataDir, 'backup-target.json'))).toBe(false);
  expect((await one.cli('backups:target')).stdout).toMatch(/stay on this server only/);
});

it('copies each backup to the bucket and reads it back; the keys stay in a 0600 file and out of every log', async () => {
  await withStorage(one);
  const set = await one.cli('backups:target', `s3://${BUCKET}/prod`, '--endpoint', endpoint);
  expect(set.code, set.stderr).toBe(0);
  expect(set.stdout).toMatch(/copied to s3:\/\/mc-backups\/prod at http:\/\/127\.0\.0\.1:\d+ \(region us-east-1, key S3RV…\)/);
  expect(statSync(join(one.dataDir, 'backup-target.json')).mode & 0o777).toBe(0o600);
  // 20 MiB that gzip cannot shrink: the archive goes up as a multipart upload (16 MiB parts).
  writeFileSync(join(await volumeDir(one), 'noise.bin'), randomBytes(20 * 1024 * 1024));
  for (const text of ['first', 'second']) {
    writeFileSync(join(await volumeDir(one), 'kept.txt'), `${text}\n`);
    const made = await one.cli('backups:create', APP);
    expect(made.code, made.stderr + made.stdout).toBe(0);
    expect(made.stdout).toMatch(/Note: copied to s3:\/\/mc-backups\/prod\/ob-\w+\/\S+\/ and read back: 2 objects, SHA-256 checksums match/);
    ids.push(/done: (\S+) is good/.exec(made.stdout)![1]!);
  }
  for (const id of ids) expect(existsSync(objectFile(`prod/${APP}/${id}/manifest.json`))).toBe(true);
  expect(multipart.sort()).toEqual(ids.map((id) => `prod/${APP}/${id}/volume-data.tar.gz`).sort());
  expect(one.output()).not.toContain(SECRET);
  const audit = JSON.stringify((await one.api('GET', '/api/audit')).body);
  expect(audit).toContain('backups:target');
  expect(audit).not.toContain(SECRET);
  expect(JSON.stringify((await one.api('GET', '/api/backups/target')).body)).not.toContain(SECRET);
  const remote = await one.cli('backups:remote', APP);
  expect(remote.code, remote.stderr).toBe(0);
  for (const id of ids) expect(remote.stdout).toMatch(new RegExp(`${id} .* good .*volume /data`));
});

it('a fresh server refuses a corrupted copy, saying which part, and restores a good one', async () => {
  await withStorage(two);
  expect((await two.cli('backups:target', `s3://${BUCKET}/prod`, '--endpoint', endpoint)).code).toBe(0);
  const [older, newer] = ids as [string, string];
  const part = objectFile(`prod/${APP}/${newer}/volume-data.tar.gz`);
  const corrupted = readFileSync(part);
  corrupted[corrupted.length - 5] = (corrupted[corrupted.length - 5] ?? 0) ^ 0xff;
  writeFileSync(part, corrupted);
  const checked = await two.cli('backups:remote', APP, '--verify');
  expect(checked.code).not.toBe(0);
  expect(checked.stdout).toMatch(new RegExp(`${newer} .*CORRUPTED`));
  expect(checked.stdout).toMatch(new RegExp(`${older} .*checksums match`));
  expect(checked.stdout).toMatch(new RegExp(`${newer}: volume-data\\.tar\\.gz is corrupted or missing: its SHA-256 is [0-9a-f]{64}, the manifest says`));
  expect(checked.stderr).toMatch(/1 backup\(s\) of ob-\w+ in the off-box target are corrupted/);
  const refused = await two.cli('backups:restore', APP, newer);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/part volume \/data \(volume-data\.tar\.gz\) is corrupted: its SHA-256 checksum is [0-9a-f]{64}, the manifest says/);
  expect(readdirSync(await volumeDir(two))).toEqual([]); // nothing touched
  expect((await two.api<Backup[]>('GET', `/api/apps/${APP}/backups`)).body).toEqual([]); // nothing recorded

  const restored = await two.cli('backups:restore', APP, older);
  expect(restored.code, restored.stderr).toBe(0);
  expect(readFileSync(join(await volumeDir(two), 'kept.txt'), 'utf8')).toBe('first\n');
  const listed = (await two.api<Backup[]>('GET', `/api/apps/${APP}/backups`)).body;
  expect(listed.map((b) => b.id)).toEqual([older]);
  expect(listed[0]!.notes.join(' ')).toMatch(/fetched from s3:\/\/mc-backups\/prod/);
});

it('downloads one backup as a tar file; an id the bucket does not hold is a clear 404', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mc-dl-'));
  try {
    const file = join(out, 'b.tar');
    const r = await two.cli('backups:download', APP, ids[0]!, '--output', file);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(names).toEqual([`${ids[0]}/`, `${ids[0]}/manifest.json`, `${ids[0]}/volume-data.tar.gz`]);
    const missing = await two.cli('backups:download', APP, '20000101T000000000Z-abcd', '--output', join(out, 'c.tar'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/holds no manifest/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

it('applies the retention rules to the bucket: the newest good backups stay', async () => {
  const off = new OffBox(new TargetFile(join(one.dataDir, 'backup-target.json')));
  expect(await off.prune(APP, 1)).toEqual([ids[0]]);
  expect((await off.list(APP)).map((b) => b.id)).toEqual([ids[1]]);
  expect(existsSync(objectFile(`prod/${APP}/${ids[0]}/volume-data.tar.gz`))).toBe(false);
});

it('a backup whose copy fails says so and exits non-zero; the local backup stays good', async () => {
  await s3.close();
  const made = await one.cli('backups:capture', APP); // the alert's advice: Heroku's word for backups:create
  expect(made.code).not.toBe(0);
  expect(made.stdout + made.stderr).toMatch(/the off-box copy failed: uploading volume-data\.tar\.gz at s3:\/\/mc-backups\/prod/);
  const newest = (await one.api<Backup[]>('GET', `/api/apps/${APP}/backups`)).body[0]!;
  expect(newest.status).toBe('good');
  expect(newest.error).toMatch(/off-box copy failed/);
});
