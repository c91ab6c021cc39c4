// Scheduled backups: every minute, the apps whose schedule is due are backed up, one at a time, then pruned.
import type { Logger } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { isDue } from './policy.ts';
import type { BackupsService } from './service.ts';

export class BackupScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly backups: BackupsService,
    private readonly o: {
      intervalMs?: number; now?: () => number; log?: Logger;
      /** Told of a due backup that did not run at all (another one of the app still running, say). */
      skipped?: (app: string, why: string) => void;
    } = {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Stops checking; waits for a backup in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One check: runs each due app's backup in turn (a tick while one runs does nothing). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      for (const s of this.store.backups.schedules()) {
        const now = (this.o.now ?? Date.now)();
        if (!isDue(s, now)) continue;
        this.store.backups.markRun(s.app, new Date(now).toISOString());
        try {
          await this.backups.create(s.app, 'scheduled');
        } catch (e) {
          // create() records a failed backup itself: what throws is a backup that never started.
          this.o.log?.warn(`${s.app}: scheduled backup did not run: ${(e as Error).message}`);
          this.o.skipped?.(s.app, (e as Error).message);
          continue;
        }
        try {
          const gone = this.backups.prune(s.app, s.keep);
          if (gone.length) this.o.log?.info(`${s.app}: pruned ${gone.length} old backup(s)`);
          const remote = await this.backups.pruneRemote(s.app, s.keep);
          if (remote.length) this.o.log?.info(`${s.app}: pruned ${remote.length} old backup(s) off the box`);
        } catch (e) {
          this.o.log?.warn(`${s.app}: pruning old backups failed: ${(e as Error).message}`);
        }
      }
    })().finally(() => { this.running = null; });
    return this.running;
  }
}
