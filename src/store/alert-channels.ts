// Alert channels: where alerts go (a webhook URL or an e-mail address), for the whole server (no app) or one app.
import type { Db } from './db.ts';

export type AlertChannelKind = 'webhook' | 'email';
/** How a message is shaped: a webhook's JSON (minicloud's own, Slack's or Discord's), or an e-mail. */
export type AlertFormat = 'json' | 'slack' | 'discord' | 'email';

export interface AlertChannel {
  id: string;
  /** null: a server-wide channel (every alert); else the app whose alerts it gets. */
  app: string | null;
  kind: AlertChannelKind;
  /** The webhook URL (may hold a secret token: never shown whole) or the e-mail address. */
  target: string;
  format: AlertFormat;
  createdAt: string;
  /** An admin added it: it may point at this host or a private network (an app member's may not). */
  privateOk: boolean;
}

/** A row of `alert_channels`. */
export interface AlertChannelRow { id: string; app: string | null; kind: AlertChannelKind; target: string; format: AlertFormat; created_at: string; private_ok: number }

const toChannel = (r: AlertChannelRow): AlertChannel => ({
  id: r.id, app: r.app, kind: r.kind, target: r.target, format: r.format, createdAt: r.created_at, privateOk: r.private_ok === 1,
});

export class AlertChannelsTable {
  constructor(private readonly db: Db) {}

  add(c: AlertChannel): AlertChannel {
    this.db.prepare('INSERT INTO alert_channels (id, app, kind, target, format, created_at, private_ok) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.id, c.app, c.kind, c.target, c.format, c.createdAt, c.privateOk ? 1 : 0);
    return this.get(c.id)!;
  }

  get(id: string): AlertChannel | null {
    const r = this.db.prepare<[string], AlertChannelRow>('SELECT * FROM alert_channels WHERE id = ?').get(id);
    return r ? toChannel(r) : null;
  }

  /** Every channel, server-wide ones first, oldest first. */
  all(): AlertChannel[] {
    return this.db.prepare<[], AlertChannelRow>('SELECT * FROM alert_channels ORDER BY app IS NOT NULL, app, created_at, rowid').all().map(toChannel);
  }

  /** One app's channels (null: the server-wide ones). */
  list(app: string | null): AlertChannel[] {
    const rows = app === null
      ? this.db.prepare<[], AlertChannelRow>('SELECT * FROM alert_channels WHERE app IS NULL ORDER BY created_at, rowid').all()
      : this.db.prepare<[string], AlertChannelRow>('SELECT * FROM alert_channels WHERE app = ? ORDER BY created_at, rowid').all(app);
    return rows.map(toChannel);
  }

  /** The channels an alert about `app` goes to: the server-wide ones and the app's own. */
  for(app: string | null): AlertChannel[] {
    return app === null ? this.list(null) : [...this.list(null), ...this.list(app)];
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM alert_channels WHERE id = ?').run(id).changes > 0;
  }
}
