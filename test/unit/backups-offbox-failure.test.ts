// What the alerts hear of a backup whose off-box copy fails (a backup kept here only is a failed one to the operator),
// a backup refused below the free-space floor (never started, nothing recorded), and the schedule's retention applied
// to the bucket as here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BackupScheduler, BackupsService, OffBox, TargetFile, parseTargetInput, type Backup } from '../../src/backups/index.ts';
import { UserError } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';

let dir: string;
let store: Store;
let refuser: Server; // accepts and closes every connection: an S3 endpoint that never answers
let endpoint: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-offbox-'));
  store = new Store(join(dir, 'minicloud.db'));
  store.apps.create('shop');
  mkdirSync(join(dir, 'vol'));
  writeFileSync(join(dir, 'vol', 'kept.txt'), 'precious\n');
  refuser = createServer((s) => s.destroy());
  await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(refuser.address() as { port: number }).port}`;
});

afterEach(async () => {
  store.close();
  await new Promise((r) => refuser.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const service = (o: { finished: (b: Backup) => void; checkFreeSpace?: (what: string) => void }) => {
  const file = new TargetFile(join(dir, 'backup-target.json'));
  file.set(parseTargetInput({ url: 's3://bucket/prefix', endpoint, accessKeyId: 'KEY', secretAccessKey: 'SECRET' }));
  return new BackupsService({
    store, dir: join(dir, 'backups'), env: {}, volumes: () => [{ path: '/data', hostDir: join(dir, 'vol') }], restart: async () => null,
    offBox: new OffBox(file), ...o,
  });
};

it('records the failed copy with the backup, which stays good here, and tells the alerts it failed', async () => {
  const told: Backup[] = [];
  const b = await service({ finished: (x) => told.push(x) }).create('shop');
  expect(b.status).toBe('good');
  expect(b.error).toMatch(/the off-box copy failed: uploading volume-data\.tar\.gz at s3:\/\/bucket\/prefix \(http:\/\/127\.0\.0\.1:\d+\) failed/);
  expect(b.error).not.toContain('SECRET');
  expect(told).toHaveLength(1);
  expect(told[0]).toMatchObject({ id: b.id, status: 'failed', error: b.error });
});

it('refuses to start below the floor: nothing recorded, nothing announced as a backup', async () => {
  const told: Backup[] = [];
  const svc = service({
    finished: (x) => told.push(x),
    checkFreeSpace: (what) => { throw new UserError(`not enough free disk space to start ${what}`, 'minicloud prune', 507); },
  });
  await expect(svc.create('shop')).rejects.toThrow(/not enough free disk space to start a backup of shop/);
  expect(store.backups.list('shop')).toEqual([]);
  expect(told).toEqual([]);
});

it('a scheduled run prunes the bucket with the schedule\'s keep, after pruning here', async () => {
  const asked: Array<[string, number]> = [];
  // The bucket side stood in for at its seam: copies succeed, and pruning says what it was asked.
  const offBox = {
    target: () => null, copy: async () => ({ note: 'copied' }),
    prune: async (app: string, keep: number) => { asked.push([app, keep]); return ['20260101T000000000Z-abcd']; },
  } as unknown as OffBox;
  const svc = new BackupsService({
    store, dir: join(dir, 'backups'), env: {}, volumes: () => [{ path: '/data', hostDir: join(dir, 'vol') }], restart: async () => null, offBox,
  });
  store.backups.setSchedule('shop', 'daily', 3);
  await new BackupScheduler(store, svc).tick();
  expect(store.backups.list('shop')).toHaveLength(1);
  expect(store.backups.list('shop')[0]!.notes).toContain('copied');
  expect(asked).toEqual([['shop', 3]]);
});
