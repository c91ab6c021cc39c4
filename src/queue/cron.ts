// Cron: an app's manifest `cron` entries as BullMQ job schedulers on its own queue (`cron-<app>`), run by a worker.
import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import { AppQueues } from './app-queues.ts';

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
  private readonly apps: AppQueues<CronJob>;

  constructor(
    connection: ConnectionOptions,
    processor: CronProcessor,
    /** Key prefix in Redis: the same as the deploy queue's. */
    prefix = 'minicloud',
    /** How many of one app's entries may run at the same time. */
    concurrency = 4,
  ) {
    this.apps = new AppQueues<CronJob>({
      connection, prefix, processor, name: CronScheduler.queueName,
      // A run cut short by a restart of minicloud is not run again: the next one is due soon enough.
      worker: { concurrency, maxStalledCount: 0 },
    });
  }

  static queueName = (app: string) => `cron-${app}`;

  /** Makes the app's schedulers exactly `entries` (new ones added, gone ones removed), and runs them. */
  async sync(app: string, entries: CronEntry[]): Promise<void> {
    const q = this.apps.queue(app);
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
    const list = await this.apps.queue(app).getJobSchedulers(0, -1, true);
    return list.map((s) => ({
      id: s.key,
      pattern: s.pattern ?? null,
      next: s.next ?? null,
      schedule: s.template?.data?.schedule ?? s.pattern ?? '',
      command: s.template?.data?.command ?? '',
    }));
  }

  /** Starts the worker of the app's cron queue (idempotent). */
  watch(app: string): Promise<void> {
    return this.apps.watch(app);
  }

  /** Removes all of the app's schedulers and its queue (app destroyed). */
  forget(app: string): Promise<void> {
    return this.apps.forget(app, async (q) => {
      for (const s of await this.schedulers(app).catch(() => [])) await q.removeJobScheduler(s.id).catch(() => false);
    });
  }

  /** The runner has ended its runs by now (minicloud stopping); nothing is waited for. */
  close(): Promise<void> {
    return this.apps.close();
  }
}
