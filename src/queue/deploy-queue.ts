// The deploy queue: one BullMQ queue per app, worked one job at a time, so an app's deploys run in push order.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { parseRedisUrl } from '../core/index.ts';

export interface DeployJob {
  deployId: string;
  /** Shown in the release list for config changes and restarts. */
  description?: string;
  /** Rollback: the release to go back to. */
  targetRelease?: number;
  /** Webhook deploys: where the commit is fetched from. */
  fetchFrom?: string;
}

export type Processor = (job: DeployJob) => Promise<void>;

export function connectionFromUrl(url: string): ConnectionOptions {
  return { ...parseRedisUrl(url), maxRetriesPerRequest: null };
}

export class DeployQueue {
  private readonly queues = new Map<string, Queue<DeployJob>>();
  private readonly workers = new Map<string, Worker<DeployJob>>();
  private closed = false;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly processor: Processor,
    /** Key prefix in Redis; tests give each run its own. */
    private readonly prefix = 'minicloud',
  ) {}

  private queueName = (app: string) => `deploy-${app}`;

  /** Starts a worker for the app's queue, which also picks up jobs left by an earlier process. */
  async watch(app: string): Promise<void> {
    if (this.closed || this.workers.has(app)) return;
    const worker = new Worker<DeployJob>(this.queueName(app), (job: Job<DeployJob>) => this.processor(job.data), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency: 1,
      // A build keeps its lock while it runs; after a crash the job is taken up again within seconds.
      lockDuration: 15_000,
      stalledInterval: 5_000,
      maxStalledCount: 3,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    });
    worker.on('error', () => {}); // connection trouble: BullMQ reconnects by itself
    this.workers.set(app, worker);
    await worker.waitUntilReady();
  }

  async enqueue(app: string, job: DeployJob): Promise<void> {
    await this.watch(app);
    await this.queue(app).add('deploy', job, { jobId: job.deployId, attempts: 1 });
  }

  private queue(app: string): Queue<DeployJob> {
    let q = this.queues.get(app);
    if (!q) {
      q = new Queue<DeployJob>(this.queueName(app), { connection: this.connection, prefix: this.prefix });
      q.on('error', () => {});
      this.queues.set(app, q);
    }
    return q;
  }

  /** Stops the app's worker and deletes its queue (app destroyed). */
  async forget(app: string): Promise<void> {
    await this.workers.get(app)?.close(true);
    this.workers.delete(app);
    const q = this.queue(app);
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
    this.queues.delete(app);
  }

  /** Leaves a running job to be taken up again by the next process (its lock expires). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.values()].map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
