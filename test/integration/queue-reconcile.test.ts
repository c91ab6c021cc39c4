// The queue reconciler over a real Redis and state file: unfinished deploys whose job Redis lost are queued again or failed.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loggerTo } from '../../src/core/index.ts';
import { DeployQueue, connectionFromUrl, type DeployJob } from '../../src/queue/index.ts';
import { QueueReconciler } from '../../src/server/reconcile-queue.ts';
import { Store } from '../../src/store/index.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/proc.ts';

let redis: TestRedis;
const tmp = mkdtempSync(join(tmpdir(), 'mc-reconcile-'));
const open: Array<{ close(): unknown }> = [];

beforeAll(async () => { redis = await startRedis(); });
afterEach(async () => { for (const o of open.splice(0)) await o.close(); });
afterAll(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function setup(hasSource: (id: string) => boolean = () => true) {
  const store = new Store(join(tmp, randomUUID(), 'state.db'));
  const ran: DeployJob[] = [];
  const queue = new DeployQueue(connectionFromUrl(redis.url), `mc-test-${randomUUID().slice(0, 8)}`).work(async (job) => { ran.push(job); });
  const lines: string[] = [];
  const ended: string[] = [];
  const log = { append: (id: string, l: string) => { lines.push(`${id} ${l}`); }, end: (d: { id: string }) => { ended.push(d.id); } };
  const running = new Set<string>();
  const reconciler = new QueueReconciler({ store, queue, log, running: () => running, hasSource, logger: loggerTo(() => {}) }, 60_000, 0);
  open.push(queue, store);
  store.apps.create('shop');
  await waitFor(() => queue.redis.available, 5000, 'Redis to answer');
  return { store, queue, ran, lines, ended, running, reconciler };
}

describe('QueueReconciler', () => {
  it('queues again a deploy Redis does not hold, with its job from the database, and leaves alone what runs here or waits in Redis', async () => {
    const { store, ran, lines, running, reconciler } = await setup();
    const lost = store.deploys.create({ app: 'shop', kind: 'release' }, { description: 'Set FOO', configChanges: { FOO: 'secret' } });
    const here = store.deploys.create({ app: 'shop', kind: 'restart' });
    running.add(here.id);
    expect(await reconciler.pass()).toBe(1);
    await waitFor(() => ran.length === 1, 10_000, 'the lost deploy to run');
    // The job is rebuilt from the database; the config values stay there, out of Redis.
    expect(ran[0]).toEqual({ deployId: lost.id, description: 'Set FOO' });
    expect(lines).toContain(`${lost.id} -----> minicloud's job queue (Redis) lost this deploy; it is queued again`);
    expect(store.deploys.get(lost.id)?.status).toBe('queued'); // the stub processor does not run the pipeline
  });

  it('fails what cannot be made again, saying why: a push whose source is gone, an image deploy whose registry login was in memory', async () => {
    const { store, ended, reconciler } = await setup(() => false);
    const push = store.deploys.create({ app: 'shop', kind: 'build', commit: 'a'.repeat(40) });
    const image = store.deploys.create({ app: 'shop', kind: 'image', ref: 'ghcr.io/me/app:1' }, { registryAuth: true });
    expect(await reconciler.pass()).toBe(2);
    expect(store.deploys.get(push.id)).toMatchObject({ status: 'failed', error: 'the queue was lost, push again' });
    expect(store.deploys.get(image.id)).toMatchObject({ status: 'failed', error: 'the queue was lost, deploy the image again' });
    expect(ended.sort()).toEqual([push.id, image.id].sort());
  });

  it('fails an older push when a later one of the same app replaces it', async () => {
    const { store, ran, reconciler } = await setup();
    const older = store.deploys.create({ app: 'shop', kind: 'build', commit: 'b'.repeat(40) });
    const newer = store.deploys.create({ app: 'shop', kind: 'build', commit: 'c'.repeat(40) });
    expect(await reconciler.pass()).toBe(2);
    expect(store.deploys.get(older.id)).toMatchObject({ status: 'failed', error: 'the queue was lost and a later push replaces this one' });
    await waitFor(() => ran.length === 1, 10_000, 'the newer push to run');
    expect(ran[0]?.deployId).toBe(newer.id);
  });
});
