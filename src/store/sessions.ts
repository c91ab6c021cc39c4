// Dashboard sessions kept across restarts: only a hash of each session id is stored, so the file holds no live cookie.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';

export interface StoredSession {
  id: string;
  /** Sent back by the page as X-CSRF-Token on every state-changing request. */
  csrf: string;
  expiresAt: number;
  /** Whose it is: `token:<token id>` or `user:<email>` (api/access resolves it on every request). */
  principal: string;
  createdAt: number;
  /** The client address it was made from. */
  address: string;
}

/** A session as listed (who is logged in): its hash stands for it, the id itself is never stored. */
export interface ListedSession { key: string; principal: string; createdAt: number; expiresAt: number; address: string }

/** A row of `sessions`. */
export interface SessionRow { id_hash: string; csrf: string; expires_at: number; principal: string; created_at: number; address: string }

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionsTable {
  constructor(private readonly db: Db) {}

  save(s: StoredSession): void {
    this.db.prepare('INSERT OR REPLACE INTO sessions (id_hash, csrf, expires_at, principal, created_at, address) VALUES (?, ?, ?, ?, ?, ?)')
      .run(hash(s.id), s.csrf, s.expiresAt, s.principal, s.createdAt, s.address);
  }

  /** The session with this id, expired or not (the caller decides), or null. */
  find(id: string): StoredSession | null {
    const r = this.db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ?').get(hash(id));
    return r ? { id, csrf: r.csrf, expiresAt: r.expires_at, principal: r.principal, createdAt: r.created_at, address: r.address } : null;
  }

  /** Whether the session with this id is still stored (ended elsewhere, or by another process, when not). */
  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM sessions WHERE id_hash = ?').get(hash(id)) !== undefined;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hash(id));
  }

  deleteByKey(key: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(key).changes > 0;
  }

  deleteOf(principal: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE principal = ?').run(principal).changes;
  }

  deleteExpired(now: number): void {
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  }

  list(now: number): ListedSession[] {
    const rows = this.db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE expires_at > ? ORDER BY created_at').all(now);
    return rows.map((r) => ({ key: r.id_hash, principal: r.principal, createdAt: r.created_at, expiresAt: r.expires_at, address: r.address }));
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sessions').get()?.n ?? 0;
  }
}
