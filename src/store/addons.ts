// Add-ons of an app: their credentials stay here (the file is 0600), never in an API answer.
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

export interface StoredAddon {
  app: string;
  kind: string;
  name: string;
  credentials: Record<string, string>;
  envKeys: string[];
  createdAt: string;
}

/** A row of `addons`. */
export interface AddonRow { app: string; kind: string; name: string; credentials: string; env_keys: string; created_at: string }

const toAddon = (r: AddonRow): StoredAddon => ({
  app: r.app, kind: r.kind, name: r.name, credentials: fromJson<Record<string, string>>(r.credentials),
  envKeys: fromJson<string[]>(r.env_keys), createdAt: r.created_at,
});

export class AddonsTable {
  constructor(private readonly db: Db) {}

  save(a: StoredAddon): void {
    this.db.prepare(`INSERT INTO addons (app, kind, name, credentials, env_keys, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (app, kind) DO UPDATE SET name = excluded.name, credentials = excluded.credentials, env_keys = excluded.env_keys`)
      .run(a.app, a.kind, a.name, JSON.stringify(a.credentials), JSON.stringify(a.envKeys), a.createdAt || new Date().toISOString());
  }

  list(app: string): StoredAddon[] {
    return this.db.prepare<[string], AddonRow>('SELECT * FROM addons WHERE app = ? ORDER BY kind').all(app).map(toAddon);
  }

  delete(app: string, kind: string): void {
    this.db.prepare('DELETE FROM addons WHERE app = ? AND kind = ?').run(app, kind);
  }
}
