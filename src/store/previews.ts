// Preview apps: which of an app's branches get one (and for how long without a push), and the previews that exist.
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

/** A row of `preview_settings`: previews are on for `app` when it has one. */
export interface PreviewSettingsRow { app: string; branches: string; expire_seconds: number | null; created_at: string; config: string }
/** A row of `previews`: the preview app `app`, made for `branch` of `parent`. */
export interface PreviewRow { app: string; parent: string; branch: string; created_at: string; pushed_at: string }

export interface PreviewSettings {
  app: string; branches: string; expireSeconds: number | null; createdAt: string;
  /** Config vars previews get over the parent's (config:set --preview): values are secrets, like the app's own. */
  config: Record<string, string>;
}
export interface Preview { app: string; parent: string; branch: string; createdAt: string; pushedAt: string }

const toPreview = (r: PreviewRow): Preview => ({ app: r.app, parent: r.parent, branch: r.branch, createdAt: r.created_at, pushedAt: r.pushed_at });

export class PreviewsTable {
  constructor(private readonly db: Db) {}

  settings(app: string): PreviewSettings | null {
    const r = this.db.prepare<[string], PreviewSettingsRow>('SELECT * FROM preview_settings WHERE app = ?').get(app);
    return r ? { app: r.app, branches: r.branches, expireSeconds: r.expire_seconds, createdAt: r.created_at, config: fromJson<Record<string, string>>(r.config) } : null;
  }

  enable(app: string, branches: string, expireSeconds: number | null): PreviewSettings {
    this.db.prepare(`INSERT INTO preview_settings (app, branches, expire_seconds, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (app) DO UPDATE SET branches = excluded.branches, expire_seconds = excluded.expire_seconds`)
      .run(app, branches, expireSeconds, new Date().toISOString());
    return this.settings(app)!;
  }

  setConfig(app: string, config: Record<string, string>): void {
    this.db.prepare('UPDATE preview_settings SET config = ? WHERE app = ?').run(JSON.stringify(config), app);
  }

  disable(app: string): void {
    this.db.prepare('DELETE FROM preview_settings WHERE app = ?').run(app);
  }

  /** Records the preview (its app exists already: the row goes with it). */
  add(app: string, parent: string, branch: string): Preview {
    const now = new Date().toISOString();
    this.db.prepare('INSERT INTO previews (app, parent, branch, created_at, pushed_at) VALUES (?, ?, ?, ?, ?)').run(app, parent, branch, now, now);
    return this.get(app)!;
  }

  pushed(app: string): void {
    this.db.prepare('UPDATE previews SET pushed_at = ? WHERE app = ?').run(new Date().toISOString(), app);
  }

  get(app: string): Preview | null {
    const r = this.db.prepare<[string], PreviewRow>('SELECT * FROM previews WHERE app = ?').get(app);
    return r ? toPreview(r) : null;
  }

  byBranch(parent: string, branch: string): Preview | null {
    const r = this.db.prepare<[string, string], PreviewRow>('SELECT * FROM previews WHERE parent = ? AND branch = ?').get(parent, branch);
    return r ? toPreview(r) : null;
  }

  /** A parent's previews, or every preview on the server. */
  list(parent?: string): Preview[] {
    const rows = parent === undefined
      ? this.db.prepare<[], PreviewRow>('SELECT * FROM previews ORDER BY created_at').all()
      : this.db.prepare<[string], PreviewRow>('SELECT * FROM previews WHERE parent = ? ORDER BY created_at').all(parent);
    return rows.map(toPreview);
  }
}
