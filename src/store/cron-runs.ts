// Cron runs: when each scheduled command of an app ran, and how it ended.
import type { Db } from './db.ts';

export interface CronRun {
  id: string;
  app: string;
  schedule: string;
  command: string;
  release: number | null;
  startedAt: string;
  /** Null while the run is in progress (or when minicloud stopped during it). */
  finishedAt: string | null;
  exitCode: number | null;
}

type Row = Record<string, unknown>;

const toRun = (r: Row): CronRun => ({
  id: r.id as string,
  app: r.app as string,
  schedule: r.schedule as string,
  command: r.command as string,
  release: (r.release as number | null) ?? null,
  startedAt: r.started_at as string,
  finishedAt: (r.finished_at as string | null) ?? null,
  exitCode: (r.exit_code as number | null) ?? null,
});

/** Runs kept per (app, schedule, command); older ones are deleted as new ones finish. */
const KEEP = 50;

export class CronRuns {
  constructor(private readonly db: Db) {}

  start(run: { id: string; app: string; schedule: string; command: string; release: number | null }, startedAt = new Date().toISOString()): CronRun {
    this.db.prepare('INSERT INTO cron_runs (id, app, schedule, command, release, started_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(run.id, run.app, run.schedule, run.command, run.release, startedAt);
    return this.get(run.id)!;
  }

  finish(id: string, exitCode: number, finishedAt = new Date().toISOString()): void {
    const run = this.get(id);
    if (!run) return;
    this.db.transaction(() => {
      this.db.prepare('UPDATE cron_runs SET finished_at = ?, exit_code = ? WHERE id = ?').run(finishedAt, exitCode, id);
      this.db.prepare(
        `DELETE FROM cron_runs WHERE app = ? AND schedule = ? AND command = ? AND id NOT IN (
           SELECT id FROM cron_runs WHERE app = ? AND schedule = ? AND command = ? ORDER BY started_at DESC LIMIT ?)`,
      ).run(run.app, run.schedule, run.command, run.app, run.schedule, run.command, KEEP);
    })();
  }

  get(id: string): CronRun | null {
    const r = this.db.prepare('SELECT * FROM cron_runs WHERE id = ?').get(id) as Row | undefined;
    return r ? toRun(r) : null;
  }

  /** The latest run of one entry, or null when it never ran. */
  last(app: string, schedule: string, command: string): CronRun | null {
    const r = this.db.prepare('SELECT * FROM cron_runs WHERE app = ? AND schedule = ? AND command = ? ORDER BY started_at DESC, rowid DESC LIMIT 1')
      .get(app, schedule, command) as Row | undefined;
    return r ? toRun(r) : null;
  }

  /** An app's runs, newest first. */
  list(app: string, limit = 100): CronRun[] {
    return (this.db.prepare('SELECT * FROM cron_runs WHERE app = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(app, limit) as Row[]).map(toRun);
  }
}
