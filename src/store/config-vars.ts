// Config vars: an app's environment, key by key (a release keeps its own copy).
import type { Db } from './db.ts';

/** A row of `config_vars`. */
export interface ConfigVarRow { app: string; key: string; value: string }

export class ConfigVarsTable {
  constructor(private readonly db: Db) {}

  get(app: string): Record<string, string> {
    const rows = this.db.prepare<[string], ConfigVarRow>('SELECT * FROM config_vars WHERE app = ? ORDER BY key').all(app);
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Applies sets (string) and unsets (null) in one transaction; returns the new config. */
  update(app: string, changes: Record<string, string | null>): Record<string, string> {
    const set = this.db.prepare('INSERT INTO config_vars (app, key, value) VALUES (?, ?, ?) ON CONFLICT (app, key) DO UPDATE SET value = excluded.value');
    const unset = this.db.prepare('DELETE FROM config_vars WHERE app = ? AND key = ?');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) unset.run(app, key);
        else set.run(app, key, value);
      }
    })();
    return this.get(app);
  }

  /** Sets the whole config at once (a rollback restores a release's config). */
  replace(app: string, config: Record<string, string>): Record<string, string> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM config_vars WHERE app = ?').run(app);
      this.update(app, config);
    })();
    return this.get(app);
  }
}
