// Open alert incidents: a failure that was announced and not yet resolved (kept across restarts, so a restart
// neither announces it again nor forgets to say when it is over).
import type { Db } from './db.ts';

/** The failures minicloud announces, and `test` (alerts:test). */
export type AlertKind =
  | 'deploy-failed' | 'crash-loop' | 'unhealthy' | 'cert-renewal' | 'backup-failed' | 'disk-low' | 'memory-low' | 'addon-unreachable' | 'test';

export interface AlertIncident {
  /** What the incident is about, e.g. `deploy-failed:shop` or `disk-low`. */
  key: string;
  app: string | null;
  kind: AlertKind;
  title: string;
  openedAt: string;
}

/** A row of `alert_incidents`. */
export interface AlertIncidentRow { key: string; app: string | null; kind: AlertKind; title: string; opened_at: string }

const toIncident = (r: AlertIncidentRow): AlertIncident => ({ key: r.key, app: r.app, kind: r.kind, title: r.title, openedAt: r.opened_at });

export class AlertIncidentsTable {
  constructor(private readonly db: Db) {}

  /** Opens it; false when it was open already (announced once per incident). */
  open(i: AlertIncident): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO alert_incidents (key, app, kind, title, opened_at) VALUES (?, ?, ?, ?, ?)')
      .run(i.key, i.app, i.kind, i.title, i.openedAt).changes > 0;
  }

  get(key: string): AlertIncident | null {
    const r = this.db.prepare<[string], AlertIncidentRow>('SELECT * FROM alert_incidents WHERE key = ?').get(key);
    return r ? toIncident(r) : null;
  }

  /** The open incidents (of one kind when given). */
  list(kind?: AlertKind): AlertIncident[] {
    const rows = kind === undefined
      ? this.db.prepare<[], AlertIncidentRow>('SELECT * FROM alert_incidents ORDER BY opened_at').all()
      : this.db.prepare<[string], AlertIncidentRow>('SELECT * FROM alert_incidents WHERE kind = ? ORDER BY opened_at').all(kind);
    return rows.map(toIncident);
  }

  /** Closes it; the incident as it was, or null when none was open. */
  close(key: string): AlertIncident | null {
    const i = this.get(key);
    if (i) this.db.prepare('DELETE FROM alert_incidents WHERE key = ?').run(key);
    return i;
  }
}
