// Per-app router settings (upstream timeout, https-only, body limit), kept on the apps table.
import type { RouterSettings } from '../core/index.ts';
import type { Db } from './db.ts';

/** The columns of `apps` that hold them. */
export interface RouterSettingsRow { name: string; router_timeout: number | null; https_only: number; router_max_body: number | null }

const toSettings = (r: RouterSettingsRow): RouterSettings => ({
  timeoutSeconds: r.router_timeout ?? null,
  httpsOnly: r.https_only === 1,
  maxBodyBytes: r.router_max_body ?? null,
});

export class RouterSettingsTable {
  constructor(private readonly db: Db) {}

  /** The app's settings (defaults for an unknown app: callers check the app exists). */
  get(app: string): RouterSettings {
    const row = this.db.prepare<[string], RouterSettingsRow>('SELECT name, router_timeout, https_only, router_max_body FROM apps WHERE name = ?').get(app);
    return row ? toSettings(row) : { timeoutSeconds: null, httpsOnly: false, maxBodyBytes: null };
  }

  /** Every app's, by name: one query for the whole route table. */
  all(): Map<string, RouterSettings> {
    const rows = this.db.prepare<[], RouterSettingsRow>('SELECT name, router_timeout, https_only, router_max_body FROM apps').all();
    return new Map(rows.map((r) => [r.name, toSettings(r)]));
  }

  /** Changes what `patch` names; returns the settings now. */
  set(app: string, patch: Partial<RouterSettings>): RouterSettings {
    if (patch.timeoutSeconds !== undefined) this.db.prepare('UPDATE apps SET router_timeout = ? WHERE name = ?').run(patch.timeoutSeconds, app);
    if (patch.httpsOnly !== undefined) this.db.prepare('UPDATE apps SET https_only = ? WHERE name = ?').run(patch.httpsOnly ? 1 : 0, app);
    if (patch.maxBodyBytes !== undefined) this.db.prepare('UPDATE apps SET router_max_body = ? WHERE name = ?').run(patch.maxBodyBytes, app);
    return this.get(app);
  }
}
