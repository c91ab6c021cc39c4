// The alert history: each message minicloud meant to send, to which channel, and how it went (sent, failed and why,
// held back by the rate limit, or nowhere to send it).
import type { AlertKind } from './alert-incidents.ts';
import type { Db } from './db.ts';

export type AlertState = 'firing' | 'resolved' | 'test';
export type AlertDelivery = 'sent' | 'failed' | 'rate-limited' | 'no-channel';

export interface AlertHistoryEntry {
  id: number;
  at: string;
  app: string | null;
  kind: AlertKind;
  state: AlertState;
  title: string;
  /** The channel's id; null when no channel was set up for it. */
  channel: string | null;
  delivery: AlertDelivery;
  /** Why it failed (already free of the channel's secrets). */
  error: string | null;
}

/** A row of `alert_history`. */
export interface AlertHistoryRow {
  id: number; at: string; app: string | null; kind: AlertKind; state: AlertState; title: string; channel: string | null; delivery: AlertDelivery; error: string | null;
}

const toEntry = (r: AlertHistoryRow): AlertHistoryEntry => ({
  id: r.id, at: r.at, app: r.app, kind: r.kind, state: r.state, title: r.title, channel: r.channel, delivery: r.delivery, error: r.error,
});

/** Entries kept, all apps together; older ones go as new ones come. */
const KEEP = 1000;

export class AlertHistoryTable {
  constructor(private readonly db: Db) {}

  add(e: Omit<AlertHistoryEntry, 'id'>): AlertHistoryEntry {
    const id = Number(this.db.prepare('INSERT INTO alert_history (at, app, kind, state, title, channel, delivery, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.at, e.app, e.kind, e.state, e.title, e.channel, e.delivery, e.error).lastInsertRowid);
    this.db.prepare('DELETE FROM alert_history WHERE id <= ?').run(id - KEEP);
    return { id, ...e };
  }

  /** The newest announcement of an incident (by kind and title) to one channel, or null. */
  lastFiring(channel: string, kind: AlertKind, title: string): AlertHistoryEntry | null {
    const r = this.db.prepare<[string, string, string], AlertHistoryRow>("SELECT * FROM alert_history WHERE channel = ? AND kind = ? AND title = ? AND state = 'firing' ORDER BY id DESC LIMIT 1")
      .get(channel, kind, title);
    return r ? toEntry(r) : null;
  }

  /** The newest `limit` entries, newest first: of one app (`app`), of the server alone (null), or all (undefined). */
  list(app?: string | null, limit = 100): AlertHistoryEntry[] {
    const rows = app === undefined
      ? this.db.prepare<[number], AlertHistoryRow>('SELECT * FROM alert_history ORDER BY id DESC LIMIT ?').all(limit)
      : app === null
        ? this.db.prepare<[number], AlertHistoryRow>('SELECT * FROM alert_history WHERE app IS NULL ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare<[string, number], AlertHistoryRow>('SELECT * FROM alert_history WHERE app = ? ORDER BY id DESC LIMIT ?').all(app, limit);
    return rows.map(toEntry);
  }
}
