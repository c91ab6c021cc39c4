// The deploy queue: one BullMQ queue per app, worked one job at a time, so an app's deploys run in push order.
import type { ConnectionOptions } from 'bullmq';
import { parseRedisUrl, type DeployJob, type Logger } from '../core/index.ts';
import { AppQueues } from './app-queues.ts';
import { RedisWatch } from './redis-watch.ts';

export type Processor = (job: DeployJob) => Promise<void>;
export type Orphaned = (app: string, deployId: string) => boolean;

export function connectionFromUrl(url: string): ConnectionOptions {
  // Retry every second (BullMQ's default backs off to 20 s): once Redis is back, deploys and calls go on at once.
  return { ...parseRedisUrl(url), maxRetriesPerRequest: null, retryStrategy: () => 1000 };
}

export class DeployQueue {
  private readonly apps: AppQueues<DeployJob>;
  /** Registry credentials of queued image deploys, by deploy id: in memory only. */
  private readonly credentials = new Map<string, NonNullable<DeployJob['registryAuth']>>();

  /** Is Redis answering: calls that need it get a 503 with the reason instead of waiting. */
  readonly redis: RedisWatch;

  /** Who runs the jobs (the pipeline): given by work(), after the parts the pipeline needs are made. */
  private processor: Processor | null = null;
  /** Whether a job left active was cut short by the death of the process that ran it (the pipeline's app lock knows). */
  private orphaned: Orphaned = () => false;
  private log: Logger | null = null;

  /** Queues jobs at once; runs them once work() has named their processor. */
  constructor(connection: ConnectionOptions, prefix = 'minicloud') {
    this.redis = new RedisWatch(connection, prefix);
    const withCredentials = async (job: DeployJob) => {
      const auth = this.credentials.get(job.deployId);
      try {
        await this.processing()(auth ? { ...job, registryAuth: auth } : job);
      } finally {
        this.credentials.delete(job.deployId);
      }
    };
    this.apps = new AppQueues<DeployJob>({
      connection, prefix, processor: withCredentials, name: (app) => `deploy-${app}`,
      worker: {
        concurrency: 1,
        // A build keeps its lock while it runs; after a crash the job is taken up again within seconds.
        lockDuration: 15_000,
        stalledInterval: 5_000,
        maxStalledCount: 3,
        removeOnComplete: { count: 100 },
        removeOnFail: { count: 100 },
      },
    });
  }

  /**
   * Names the processor. The queue is made before it: the pipeline provisions add-ons, whose releases are queued
   * here, so the pipeline comes after the queue and is handed to it.
   */
  work(processor: Processor, reclaim?: { orphaned: Orphaned; log: Logger }): this {
    this.processor = processor;
    if (reclaim) {
      this.orphaned = reclaim.orphaned;
      this.log = reclaim.log;
    }
    return this;
  }

  private processing(): Processor {
    if (!this.processor) throw new Error('DeployQueue: no processor (call work() before watch())');
    return this.processor;
  }

  /** Starts a worker for the app's queue, which also picks up jobs left by an earlier process. */
  async watch(app: string): Promise<void> {
    this.processing();
    await this.reclaim(app);
    await this.apps.watch(app);
  }

  /**
   * A job left active by a process that died (kill -9) goes back to waiting at once, before the app's worker starts:
   * BullMQ alone takes it up only once its lock runs out (lockDuration) and two stalled checks saw it. Were the
   * proof wrong, nothing doubles: the pipeline runs a deploy under its app's lock and never runs a finished one again.
   */
  private async reclaim(app: string): Promise<void> {
    if (this.redis.away) return;
    try {
      for (const job of await this.redis.within(this.apps.queue(app).getActive())) {
        if (!this.orphaned(app, job.data.deployId)) continue;
        await this.redis.within(job.moveToWait());
        this.log?.info(`${app}: deploy ${job.data.deployId} was cut short when its minicloud process died; it runs again now`);
      }
    } catch {
      // Redis trouble: BullMQ's own stalled check takes the job up later.
    }
  }

  /** Queues the job, or throws the 503 at once (Redis known away) or within 1.5 s (no answer). */
  async enqueue(app: string, job: DeployJob): Promise<void> {
    this.redis.check();
    void this.apps.watch(app).catch(() => {}); // the worker connects by itself; the job waits for it
    const { registryAuth, ...stored } = job;
    if (registryAuth) this.credentials.set(job.deployId, registryAuth);
    await this.redis.within(this.apps.queue(app).add('deploy', registryAuth ? { ...stored, registryAuthHeld: true } : stored, { jobId: job.deployId, attempts: 1 }));
  }

  /** Where the deploy's job is in Redis: `unknown` when Redis has no such job (it was lost, or never queued). */
  jobState(app: string, deployId: string): Promise<string> {
    return this.redis.within(this.apps.queue(app).getJobState(deployId));
  }

  /** Stops the app's worker and deletes its queue (app destroyed). */
  forget(app: string): Promise<void> {
    return this.apps.forget(app);
  }

  /** Leaves a running job to be taken up again by the next process (its lock expires). */
  async close(): Promise<void> {
    await this.apps.close();
    await this.redis.close();
  }
}
