// queue: BullMQ deploy queues over a real Redis (its own redis-server), one key prefix per test.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeployQueue, connectionFromUrl, type DeployJob, type Processor } from '../../src/queue/index.ts';
import { redisContents, startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
const open: DeployQueue[] = [];

beforeAll(async () => { redis = await startRedis(); });
afterEach(async () => { await Promise.all(open.splice(0).map((q) => q.close())); });
afterAll(async () => { await redis?.stop(); });

const prefix = () => `mc-test-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function queue(processor: Processor, pfx: string): DeployQueue {
  const q = new DeployQueue(connectionFromUrl(redis.url), pfx).work(processor);
  open.push(q);
  return q;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A promise with its resolve function outside. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => { open = r; });
  return { p, open };
}

describe('DeployQueue', () => {
  it('runs one app\'s jobs one at a time, in the order they were enqueued', async () => {
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = queue(async (job: DeployJob) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      events.push(`start ${job.deployId}`);
      await sleep(60);
      events.push(`end ${job.deployId}`);
      running--;
    }, prefix());
    const ids = ['d1', 'd2', 'd3', 'd4'];
    for (const id of ids) await q.enqueue('hello', { deployId: id });
    await until(() => events.length === ids.length * 2, 20_000, 'all jobs');
    expect(events).toEqual(ids.flatMap((id) => [`start ${id}`, `end ${id}`]));
    expect(maxRunning).toBe(1);
  });

  it('passes the job data through to the processor', async () => {
    const seen: DeployJob[] = [];
    const q = queue(async (job) => { seen.push(job); }, prefix());
    await q.enqueue('app', { deployId: 'x1', description: 'Set FOO' });
    await until(() => seen.length === 1, 10_000, 'the job');
    expect(seen[0]).toEqual({ deployId: 'x1', description: 'Set FOO' });
  });

  it('runs jobs of two different apps at the same time', async () => {
    const started = { a: gate(), b: gate() };
    const saw: string[] = [];
    const q = queue(async (job) => {
      const [me, other] = job.deployId === 'job-a' ? (['a', 'b'] as const) : (['b', 'a'] as const);
      started[me].open();
      // Each job waits for the other to start: only possible if both run at once.
      const ok = await Promise.race([started[other].p.then(() => true), sleep(15_000).then(() => false)]);
      if (ok) saw.push(`${me} saw ${other} running`);
    }, prefix());
    await q.enqueue('app-a', { deployId: 'job-a' });
    await q.enqueue('app-b', { deployId: 'job-b' });
    await until(() => saw.length === 2, 20_000, 'both jobs to see each other');
    expect(saw.sort()).toEqual(['a saw b running', 'b saw a running']);
  });

  it('does not run a deploy twice when the same deploy id is enqueued again', async () => {
    const runs: string[] = [];
    const first = gate();
    const q = queue(async (job) => {
      runs.push(job.deployId);
      if (job.deployId === 'same') await first.p;
    }, prefix());
    await q.enqueue('app', { deployId: 'same' });
    await until(() => runs.length === 1, 10_000, 'the first run');
    await q.enqueue('app', { deployId: 'same' });
    await q.enqueue('app', { deployId: 'next' });
    first.open();
    await until(() => runs.includes('next'), 10_000, 'the next job');
    expect(runs).toEqual(['same', 'next']);
  });

  it('a failing job does not stop the next one', async () => {
    const runs: string[] = [];
    const q = queue(async (job) => {
      runs.push(job.deployId);
      if (job.deployId === 'bad') throw new Error('processor bug');
    }, prefix());
    await q.enqueue('app', { deployId: 'bad' });
    await q.enqueue('app', { deployId: 'good' });
    await until(() => runs.length === 2, 10_000, 'both jobs');
    expect(runs).toEqual(['bad', 'good']);
  });

  it('forget() stops the worker and deletes the app\'s queue from Redis', async () => {
    const pfx = prefix();
    const blocker = gate();
    const runs: string[] = [];
    const q = queue(async (job) => { runs.push(job.deployId); await blocker.p; }, pfx);
    await q.enqueue('doomed', { deployId: 'running' });
    await q.enqueue('doomed', { deployId: 'waiting' });
    await q.enqueue('kept', { deployId: 'other' });
    await until(() => runs.includes('running') && runs.includes('other'), 10_000, 'the first jobs');
    const probe = new Redis(redis.url);
    try {
      expect((await probe.keys(`${pfx}:deploy-doomed:*`)).length).toBeGreaterThan(0);
      await q.forget('doomed');
      expect(await probe.keys(`${pfx}:deploy-doomed:*`)).toEqual([]);
      expect((await probe.keys(`${pfx}:deploy-kept:*`)).length).toBeGreaterThan(0);
    } finally {
      probe.disconnect();
      blocker.open();
    }
    expect(runs).not.toContain('waiting');
  });

  it('a job whose worker went away mid-run is taken up again by a new DeployQueue', async () => {
    const pfx = prefix();
    const firstRuns: string[] = [];
    const first = queue(async (job) => {
      firstRuns.push(job.deployId);
      await new Promise<void>(() => {}); // the process "dies" mid-build: this never settles
    }, pfx);
    await first.enqueue('app', { deployId: 'interrupted', description: 'Deploy abc' });
    await until(() => firstRuns.length === 1, 10_000, 'the first worker to take the job');
    await first.close();

    const secondRuns: DeployJob[] = [];
    const second = queue(async (job) => { secondRuns.push(job); }, pfx);
    await second.watch('app');
    // The lock (15 s) expires, the stalled check (every 5 s) moves the job back to wait.
    await until(() => secondRuns.length === 1, 45_000, 'the new worker to take up the stalled job');
    expect(secondRuns[0]).toEqual({ deployId: 'interrupted', description: 'Deploy abc' });
    expect(firstRuns).toEqual(['interrupted']);
  });

  it('keeps registry credentials out of Redis, and hands them to the processor', async () => {
    const password = `pw-${randomUUID()}`;
    const seen: DeployJob[] = [];
    const q = queue(async (job) => { seen.push(job); }, prefix());
    await q.enqueue('hello', { deployId: 'img1', registryAuth: { username: 'me', password, serveraddress: 'ghcr.io' } });
    await until(() => seen.length === 1, 20_000, 'the image deploy');
    expect(seen[0]).toMatchObject({ deployId: 'img1', registryAuth: { username: 'me', password }, registryAuthHeld: true });
    const contents = await redisContents(redis.url);
    expect(contents).toContain('img1'); // the job itself is there
    expect(contents).not.toContain(password);
  });

  it('after a restart, a queued image deploy finds its credentials gone and says so', async () => {
    const pfx = prefix();
    const blocked = gate();
    const first: string[] = [];
    const before = queue(async (job) => { first.push(job.deployId); await blocked.p; }, pfx);
    await before.enqueue('hello', { deployId: 'busy' });
    await until(() => first.length === 1, 20_000, 'the first deploy to start');
    await before.enqueue('hello', { deployId: 'img2', registryAuth: { username: 'me', password: 'secret' } });
    await before.close(); // minicloud stops; img2 waits in Redis
    const seen: DeployJob[] = [];
    const after = queue(async (job) => { seen.push(job); }, pfx);
    await after.watch('hello');
    await until(() => seen.some((j) => j.deployId === 'img2'), 20_000, 'the image deploy in the next process');
    const job = seen.find((j) => j.deployId === 'img2')!;
    expect(job.registryAuthHeld).toBe(true);
    expect(job.registryAuth).toBeUndefined();
    blocked.open();
  });
});
