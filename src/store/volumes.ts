// Storage volumes: persistent directories an app keeps across deploys, restarts and rollbacks.
import type { Db } from './db.ts';

export interface Volume { app: string; path: string; createdAt: string }

/** A row of `volumes`. */
export interface VolumeRow { app: string; path: string; created_at: string }

export class VolumesTable {
  constructor(private readonly db: Db) {}

  add(app: string, path: string): Volume {
    this.db.prepare('INSERT OR IGNORE INTO volumes (app, path, created_at) VALUES (?, ?, ?)').run(app, path, new Date().toISOString());
    return this.list(app).find((v) => v.path === path)!;
  }

  remove(app: string, path: string): boolean {
    return this.db.prepare('DELETE FROM volumes WHERE app = ? AND path = ?').run(app, path).changes === 1;
  }

  list(app: string): Volume[] {
    const rows = this.db.prepare<[string], VolumeRow>('SELECT * FROM volumes WHERE app = ? ORDER BY path').all(app);
    return rows.map((r) => ({ app: r.app, path: r.path, createdAt: r.created_at }));
  }
}
