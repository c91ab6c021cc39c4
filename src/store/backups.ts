// Backups of an app's databases and storage, and each app's backup schedule.
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

export type BackupStatus = 'running' | 'good' | 'failed' | 'unverified';
export type BackupFrequency = 'hourly' | 'daily' | 'weekly';

/** One file of a backup: a database dump or a volume archive, with what its verification found. */
export interface BackupPart {
  /** `postgres`, `mariadb`, or `volume /data`. */
  name: string;
  kind: 'postgres' | 'mariadb' | 'volume';
  /** The file name inside the backup's directory. */
  file: string;
  /** The volume's mount path (volumes only). */
  path?: string;
  size: number;
  sha256: string;
  /** Tables in the source at dump time (databases), or entries in the archive (volumes). */
  tables: number | null;
  /** Rows per table in the source at dump time. */
  rows: Record<string, number> | null;
  /** Rows per table found after restoring the dump into a scratch database. */
  restoredRows: Record<string, number> | null;
  verified: boolean;
  /** Why it is (not) verified, in a few words. */
  reason: string;
}

export interface Backup {
  id: string;
  app: string;
  createdAt: string;
  finishedAt: string | null;
  status: BackupStatus;
  /** Bytes, all parts together. */
  size: number;
  dir: string;
  parts: BackupPart[];
  /** Things left out, e.g. add-ons that hold no durable data. */
  notes: string[];
  error: string | null;
  trigger: 'manual' | 'scheduled' | 'upgrade';
}

export interface BackupSchedule { app: string; frequency: BackupFrequency; keep: number; lastRunAt: string | null; updatedAt: string }

/** A row of `backups`. */
export interface BackupRow {
  id: string; app: string; created_at: string; finished_at: string | null; status: BackupStatus; size: number; dir: string;
  /** JSON of BackupPart[]. */
  parts: string;
  /** JSON of string[]. */
  notes: string;
  error: string | null; trigger: Backup['trigger'];
}

/** A row of `backup_schedules`. */
export interface BackupScheduleRow { app: string; frequency: BackupFrequency; keep: number; last_run_at: string | null; updated_at: string }

const toBackup = (r: BackupRow): Backup => ({
  id: r.id, app: r.app, createdAt: r.created_at, finishedAt: r.finished_at, status: r.status, size: r.size, dir: r.dir,
  parts: fromJson<BackupPart[]>(r.parts), notes: fromJson<string[]>(r.notes), error: r.error, trigger: r.trigger,
});

const toSchedule = (r: BackupScheduleRow): BackupSchedule => ({
  app: r.app, frequency: r.frequency, keep: r.keep, lastRunAt: r.last_run_at, updatedAt: r.updated_at,
});

export class BackupsTable {
  constructor(private readonly db: Db) {}

  add(b: Backup): Backup {
    this.db.prepare(`INSERT INTO backups (id, app, created_at, finished_at, status, size, dir, parts, notes, error, trigger)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(b.id, b.app, b.createdAt, b.finishedAt, b.status, b.size, b.dir, JSON.stringify(b.parts), JSON.stringify(b.notes), b.error, b.trigger);
    return this.get(b.id)!;
  }

  update(id: string, patch: Partial<Pick<Backup, 'finishedAt' | 'status' | 'size' | 'parts' | 'notes' | 'error'>>): Backup {
    const b = this.get(id);
    if (!b) throw new Error(`backup ${id} vanished`);
    const n = { ...b, ...patch };
    this.db.prepare('UPDATE backups SET finished_at = ?, status = ?, size = ?, parts = ?, notes = ?, error = ? WHERE id = ?')
      .run(n.finishedAt, n.status, n.size, JSON.stringify(n.parts), JSON.stringify(n.notes), n.error, id);
    return this.get(id)!;
  }

  get(id: string): Backup | null {
    const r = this.db.prepare<[string], BackupRow>('SELECT * FROM backups WHERE id = ?').get(id);
    return r ? toBackup(r) : null;
  }

  /** An app's backups, newest first. */
  list(app: string): Backup[] {
    return this.db.prepare<[string], BackupRow>('SELECT * FROM backups WHERE app = ? ORDER BY created_at DESC, rowid DESC').all(app).map(toBackup);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM backups WHERE id = ?').run(id);
  }

  // --- schedules
  setSchedule(app: string, frequency: BackupFrequency, keep: number): BackupSchedule {
    this.db.prepare(`INSERT INTO backup_schedules (app, frequency, keep, last_run_at, updated_at) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT (app) DO UPDATE SET frequency = excluded.frequency, keep = excluded.keep, updated_at = excluded.updated_at`)
      .run(app, frequency, keep, new Date().toISOString());
    return this.getSchedule(app)!;
  }

  removeSchedule(app: string): boolean {
    return this.db.prepare('DELETE FROM backup_schedules WHERE app = ?').run(app).changes === 1;
  }

  getSchedule(app: string): BackupSchedule | null {
    const r = this.db.prepare<[string], BackupScheduleRow>('SELECT * FROM backup_schedules WHERE app = ?').get(app);
    return r ? toSchedule(r) : null;
  }

  schedules(): BackupSchedule[] {
    return this.db.prepare<[], BackupScheduleRow>('SELECT * FROM backup_schedules ORDER BY app').all().map(toSchedule);
  }

  markRun(app: string, at: string): void {
    this.db.prepare('UPDATE backup_schedules SET last_run_at = ? WHERE app = ?').run(at, app);
  }
}
