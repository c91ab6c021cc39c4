// One BullMQ queue and worker per app, made on demand: the plumbing the deploy and cron queues share.
import { Queue, Worker, type ConnectionOptions, type Job, type WorkerOptions } from 'bullmq';

export interface AppQueuesOptions<T> {
  connection: ConnectionOptions;
  /** Key prefix in Redis; tests give each run its own. */
  prefix: string;
  /** The queue's name for an app, e.g. `deploy-<app>`. */
  name: (app: string) => string;
  processor: (data: T) => Promise<void>;
  worker: Partial<WorkerOptions>;
}

/** Waits at most 5 s: cleaning up must not hang when Redis is down. */
const bounded = (p: Promise<unknown>) =>
  Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);

export class AppQueues<T> {
  private readonly queues = new Map<string, Queue<T>>();
  private readonly workers = new Map<string, Worker<T>>();
  private closed = false;

  constructor(private readonly o: AppQueuesOptions<T>) {}

  queue(app: string): Queue<T> {
    let q = this.queues.get(app);
    if (!q) {
      // Neither queued while Redis is away nor resent when it is back: a call that failed (503) never lands later.
      // Workers keep both, and carry on by themselves.
      const connection = { ...this.o.connection, enableOfflineQueue: false, autoResendUnfulfilledCommands: false };
      q = new Queue<T>(this.o.name(app), { connection, prefix: this.o.prefix });
      q.on('error', () => {});
      this.queues.set(app, q);
    }
    return q;
  }

  /** Starts the worker of the app's queue (idempotent); it also picks up jobs left by an earlier process. */
  async watch(app: string): Promise<void> {
    if (this.closed || this.workers.has(app)) return;
    const worker = new Worker<T>(this.o.name(app), (job: Job<T>) => this.o.processor(job.data), {
      ...this.o.worker, connection: this.o.connection, prefix: this.o.prefix,
    });
    worker.on('error', () => {}); // connection trouble: BullMQ reconnects by itself
    this.workers.set(app, worker);
    // Briefly at most: with Redis away the worker connects when it is back, and nobody waits for that.
    await Promise.race([worker.waitUntilReady().catch(() => {}), new Promise((r) => setTimeout(r, 1500).unref())]);
  }

  /**
   * Stops the app's worker and deletes its queue (app destroyed); `before` may clean up first.
   * Bounded: with Redis away BullMQ would wait for it forever; what is left expires with its keys.
   */
  async forget(app: string, before?: (q: Queue<T>) => Promise<void>): Promise<void> {
    const worker = this.workers.get(app);
    this.workers.delete(app);
    const q = this.queue(app);
    this.queues.delete(app);
    await bounded((async () => {
      await worker?.close(true);
      await before?.(q);
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
    })());
  }

  /** Nothing running is waited for: a job left active is taken up again once its lock expires (if allowed). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.workers.values()].map((w) => w.close(true)).concat([...this.queues.values()].map((q) => q.close()));
    this.workers.clear();
    this.queues.clear();
    await bounded(Promise.all(all));
  }
}
