// Backups of an app's databases and storage, and each app's backup schedule.
import type { Db } from './db.ts';
import type { Row } from './rows.ts';

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
  trigger: 'manual' | 'scheduled';
}

export interface BackupSchedule { app: string; frequency: BackupFrequency; keep: number; lastRunAt: string | null; updatedAt: string }

const toBackup = (r: Row): Backup => ({
  id: r.id as string, app: r.app as string, createdAt: r.created_at as string,
  finishedAt: (r.finished_at as string | null) ?? null, status: r.status as BackupStatus, size: r.size as number,
  dir: r.dir as string, parts: JSON.parse(r.parts as string) as BackupPart[], notes: JSON.parse(r.notes as string) as string[],
  error: (r.error as string | null) ?? null, trigger: r.trigger as Backup['trigger'],
});

const toSchedule = (r: Row): BackupSchedule => ({
  app: r.app as string, frequency: r.frequency as BackupFrequency, keep: r.keep as number,
  lastRunAt: (r.last_run_at as string | null) ?? null, updatedAt: r.updated_at as string,
});

export class Backups {
  constructor(private readonly db: Db) {}

  insert(b: Backup): Backup {
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
    const r = this.db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as Row | undefined;
    return r ? toBackup(r) : null;
  }

  /** An app's backups, newest first. */
  list(app: string): Backup[] {
    return (this.db.prepare('SELECT * FROM backups WHERE app = ? ORDER BY created_at DESC, rowid DESC').all(app) as Row[]).map(toBackup);
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
    const r = this.db.prepare('SELECT * FROM backup_schedules WHERE app = ?').get(app) as Row | undefined;
    return r ? toSchedule(r) : null;
  }

  schedules(): BackupSchedule[] {
    return (this.db.prepare('SELECT * FROM backup_schedules ORDER BY app').all() as Row[]).map(toSchedule);
  }

  markRun(app: string, at: string): void {
    this.db.prepare('UPDATE backup_schedules SET last_run_at = ? WHERE app = ?').run(at, app);
  }
}
