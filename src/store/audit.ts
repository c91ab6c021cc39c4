// The audit log: who changed what, when and from where. Names and choices only: no config value ever gets here.
import type { Db } from './db.ts';
import type { Row } from './rows.ts';

export interface AuditEntry {
  id: number;
  at: string;
  /** `token ci`, `alice@example.com`, `alice@example.com (token laptop)`, or who tried (`-` for nobody known). */
  actor: string;
  action: string;
  app: string | null;
  detail: Record<string, unknown>;
  /** The client's address, as the router computed it. */
  address: string;
  /** The HTTP status it ended with (null where there was none). */
  status: number | null;
}

/** Entries kept; older ones go, in batches. */
const KEEP = 100_000;

const toEntry = (r: Row): AuditEntry => ({
  id: r.id as number, at: r.at as string, actor: r.actor as string, action: r.action as string, app: (r.app as string | null) ?? null,
  detail: JSON.parse(r.detail as string) as Record<string, unknown>, address: r.address as string, status: (r.status as number | null) ?? null,
});

export class AuditLog {
  constructor(private readonly db: Db) {}

  add(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): void {
    const { lastInsertRowid: id } = this.db.prepare('INSERT INTO audit (at, actor, action, app, detail, address, status) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.at ?? new Date().toISOString(), e.actor, e.action, e.app, JSON.stringify(e.detail), e.address, e.status);
    if (Number(id) % 1000 === 0) this.db.prepare('DELETE FROM audit WHERE id <= ?').run(Number(id) - KEEP);
  }

  /** The latest `limit` entries, oldest first; for one app, or only those whose app passes `visible`. */
  list(o: { app?: string; limit: number; visible?: (app: string | null) => boolean }): AuditEntry[] {
    const rows = (o.app !== undefined
      ? this.db.prepare('SELECT * FROM audit WHERE app = ? ORDER BY id DESC').iterate(o.app)
      : this.db.prepare('SELECT * FROM audit ORDER BY id DESC').iterate()) as IterableIterator<Row>;
    const out: AuditEntry[] = [];
    for (const r of rows) {
      if (o.visible && !o.visible((r.app as string | null) ?? null)) continue;
      out.push(toEntry(r));
      if (out.length >= o.limit) break;
    }
    return out.reverse();
  }
}
