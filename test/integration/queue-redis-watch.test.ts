// Whether Redis answers: with it gone, queueing is refused with a 503 that says why, at once; once it is back, queueing works again.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DeployQueue, QueueUnavailableError, connectionFromUrl, type DeployJob } from '../../src/queue/index.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/proc.ts';

let redis: TestRedis | null = null;
afterAll(async () => { await redis?.stop(); });

describe('DeployQueue without Redis', () => {
  it('refuses a job with a 503 naming Redis and the reason within 2 s, and takes jobs again once Redis is back, saying so', async () => {
    redis = await startRedis();
    const port = redis.port;
    const ran: DeployJob[] = [];
    const queue = new DeployQueue(connectionFromUrl(redis.url), `mc-test-${randomUUID().slice(0, 8)}`).work(async (job) => { ran.push(job); });
    try {
      await waitFor(() => queue.redis.available, 5000, 'Redis to answer');
      await queue.enqueue('shop', { deployId: 'd0' });
      await waitFor(() => ran.length === 1, 10_000, 'the first job to run');
      let backs = 0;
      queue.redis.on('back', () => backs++);
      await redis.stop();
      redis = null;
      const started = Date.now();
      const refused = await queue.enqueue('shop', { deployId: 'd1' }).then(() => null, (e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(refused).toBeInstanceOf(QueueUnavailableError);
      expect(refused).toMatchObject({ status: 503 });
      expect((refused as Error).message).toMatch(new RegExp(`^minicloud's job queue \\(Redis at 127\\.0\\.0\\.1:${port}\\) is not answering: `));

      redis = await startRedis(port);
      await waitFor(() => queue.redis.available, 10_000, 'the queue to see Redis again');
      expect(backs).toBe(1);
      await queue.enqueue('shop', { deployId: 'd2' });
      await waitFor(() => ran.length === 2, 10_000, 'the job to run');
      // The refused one never lands: the queue's connection neither holds calls while Redis is away nor resends them.
      expect(ran.map((j) => j.deployId)).toEqual(['d0', 'd2']);
    } finally {
      await queue.close();
    }
  });

  it('works once Redis comes up when minicloud started without it', async () => {
    const gone = await startRedis();
    const port = gone.port;
    await gone.stop();
    const ran: DeployJob[] = [];
    const queue = new DeployQueue(connectionFromUrl(`redis://127.0.0.1:${port}`), `mc-test-${randomUUID().slice(0, 8)}`).work(async (job) => { ran.push(job); });
    try {
      await queue.watch('shop');
      await waitFor(() => queue.redis.away, 5000, 'the queue to see that Redis is away');
      await expect(queue.enqueue('shop', { deployId: 'early' })).rejects.toMatchObject({ status: 503 });
      redis = await startRedis(port);
      await waitFor(() => queue.redis.available, 10_000, 'the queue to see Redis');
      await queue.enqueue('shop', { deployId: 'later' });
      await waitFor(() => ran.length === 1, 10_000, 'the job to run');
      expect(ran.map((j) => j.deployId)).toEqual(['later']);
    } finally {
      await queue.close();
      await redis?.stop();
      redis = null;
    }
  });
});
