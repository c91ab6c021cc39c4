// Cron: an app's manifest `cron` entries as BullMQ job schedulers on its own queue (`cron-<app>`), run by a worker.
import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';

export interface CronEntry {
  schedule: string;
  command: string;
}

/** One due run of an entry. */
export interface CronJob extends CronEntry {
  app: string;
}

export type CronProcessor = (job: CronJob) => Promise<void>;

/** Stable per (app, schedule, command): a redeploy upserts the same scheduler instead of adding one. */
export function cronSchedulerId(app: string, e: CronEntry): string {
  return `cron-${createHash('sha256').update(`${app}\n${e.schedule}\n${e.command}`).digest('hex').slice(0, 24)}`;
}

export class CronScheduler {
  private readonly queues = new Map<string, Queue<CronJob>>();
  private readonly workers = new Map<string, Worker<CronJob>>();
  private closed = false;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly processor: CronProcessor,
    /** Key prefix in Redis: the same as the deploy queue's. */
    private readonly prefix = 'minicloud',
    /** How many of one app's entries may run at the same time. */
    private readonly concurrency = 4,
  ) {}

  static queueName = (app: string) => `cron-${app}`;

  /** Makes the app's schedulers exactly `entries` (new ones added, gone ones removed), and runs them. */
  async sync(app: string, entries: CronEntry[]): Promise<void> {
    const q = this.queue(app);
    const wanted = new Map(entries.map((e) => [cronSchedulerId(app, e), e]));
    const existing = await this.schedulers(app);
    for (const s of existing) {
      if (!wanted.has(s.id)) await q.removeJobScheduler(s.id);
    }
    for (const [id, e] of wanted) {
      const have = existing.find((s) => s.id === id);
      // Same id means same schedule and command: leave it (and its next run) as it is.
      if (have && have.pattern === e.schedule) continue;
      await q.upsertJobScheduler(id, { pattern: e.schedule }, {
        name: 'cron',
        data: { app, schedule: e.schedule, command: e.command },
        opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 20 } },
      });
    }
    if (wanted.size > 0) await this.watch(app);
  }

  /** The app's schedulers as stored in Redis. */
  async schedulers(app: string): Promise<Array<CronEntry & { id: string; pattern: string | null; next: number | null }>> {
    const list = await this.queue(app).getJobSchedulers(0, -1, true);
    return list.map((s) => ({
      id: s.key,
      pattern: s.pattern ?? null,
      next: s.next ?? null,
      schedule: s.template?.data?.schedule ?? s.pattern ?? '',
      command: s.template?.data?.command ?? '',
    }));
  }

  /** Starts the worker of the app's cron queue (idempotent). */
  async watch(app: string): Promise<void> {
    if (this.closed || this.workers.has(app)) return;
    const worker = new Worker<CronJob>(CronScheduler.queueName(app), (job: Job<CronJob>) => this.processor(job.data), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency: this.concurrency,
      // A run cut short by a restart of minicloud is not run again: the next one is due soon enough.
      maxStalledCount: 0,
    });
    worker.on('error', () => {}); // connection trouble: BullMQ reconnects by itself
    this.workers.set(app, worker);
    await worker.waitUntilReady();
  }

  /** Removes all of the app's schedulers and its queue (app destroyed). */
  async forget(app: string): Promise<void> {
    await this.workers.get(app)?.close(true);
    this.workers.delete(app);
    const q = this.queue(app);
    for (const s of await this.schedulers(app).catch(() => [])) await q.removeJobScheduler(s.id).catch(() => false);
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
    this.queues.delete(app);
  }

  async close(): Promise<void> {
    this.closed = true;
    // The runner has ended its runs by now (minicloud stopping); nothing is waited for.
    await Promise.all([...this.workers.values()].map((w) => w.close(true)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.workers.clear();
    this.queues.clear();
  }

  private queue(app: string): Queue<CronJob> {
    let q = this.queues.get(app);
    if (!q) {
      q = new Queue<CronJob>(CronScheduler.queueName(app), { connection: this.connection, prefix: this.prefix });
      q.on('error', () => {});
      this.queues.set(app, q);
    }
    return q;
  }
}
