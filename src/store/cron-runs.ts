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

/** A row of `cron_runs`. */
export interface CronRunRow {
  id: string; app: string; schedule: string; command: string; release: number | null; started_at: string; finished_at: string | null; exit_code: number | null;
}

const toRun = (r: CronRunRow): CronRun => ({
  id: r.id, app: r.app, schedule: r.schedule, command: r.command, release: r.release,
  startedAt: r.started_at, finishedAt: r.finished_at, exitCode: r.exit_code,
});

/** Runs kept per (app, schedule, command); older ones are deleted as new ones finish. */
const KEEP = 50;

export class CronRunsTable {
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
    const r = this.db.prepare<[string], CronRunRow>('SELECT * FROM cron_runs WHERE id = ?').get(id);
    return r ? toRun(r) : null;
  }

  /** The latest run of one entry, or null when it never ran. */
  last(app: string, schedule: string, command: string): CronRun | null {
    const r = this.db.prepare<[string, string, string], CronRunRow>('SELECT * FROM cron_runs WHERE app = ? AND schedule = ? AND command = ? ORDER BY started_at DESC, rowid DESC LIMIT 1')
      .get(app, schedule, command);
    return r ? toRun(r) : null;
  }

  /** An app's runs, newest first. */
  list(app: string, limit = 100): CronRun[] {
    return this.db.prepare<[string, number], CronRunRow>('SELECT * FROM cron_runs WHERE app = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(app, limit).map(toRun);
  }
}
