// The audit log: who changed what, when and from where. Names and choices only: no config value ever gets here.
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

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

/** A row of `audit`. */
export interface AuditRow { id: number; at: string; actor: string; action: string; app: string | null; detail: string; address: string; status: number | null }

const toEntry = (r: AuditRow): AuditEntry => ({ ...r, detail: fromJson<Record<string, unknown>>(r.detail) });

export class AuditTable {
  constructor(private readonly db: Db) {}

  add(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): void {
    const { lastInsertRowid: id } = this.db.prepare('INSERT INTO audit (at, actor, action, app, detail, address, status) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.at ?? new Date().toISOString(), e.actor, e.action, e.app, JSON.stringify(e.detail), e.address, e.status);
    if (Number(id) % 1000 === 0) this.db.prepare('DELETE FROM audit WHERE id <= ?').run(Number(id) - KEEP);
  }

  /** The latest `limit` entries, oldest first; for one app, or only those whose app passes `visible`. */
  list(o: { app?: string; limit: number; visible?: (app: string | null) => boolean }): AuditEntry[] {
    const rows = o.app !== undefined
      ? this.db.prepare<[string], AuditRow>('SELECT * FROM audit WHERE app = ? ORDER BY id DESC').iterate(o.app)
      : this.db.prepare<[], AuditRow>('SELECT * FROM audit ORDER BY id DESC').iterate();
    const out: AuditEntry[] = [];
    for (const r of rows) {
      if (o.visible && !o.visible(r.app)) continue;
      out.push(toEntry(r));
      if (out.length >= o.limit) break;
    }
    return out.reverse();
  }
}
