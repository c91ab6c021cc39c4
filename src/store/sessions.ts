// Dashboard sessions kept across restarts: only a hash of each session id is stored, so the file holds no live cookie.
import { createHash } from 'node:crypto';
import type { Db } from './db.ts';

export interface StoredSession { id: string; csrf: string; expiresAt: number }

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionsTable {
  constructor(private readonly db: Db) {}

  save(s: StoredSession): void {
    this.db.prepare('INSERT OR REPLACE INTO sessions (id_hash, csrf, expires_at) VALUES (?, ?, ?)').run(hash(s.id), s.csrf, s.expiresAt);
  }

  /** The session with this id, expired or not (the caller decides), or null. */
  find(id: string): StoredSession | null {
    const r = this.db.prepare('SELECT csrf, expires_at FROM sessions WHERE id_hash = ?').get(hash(id)) as { csrf: string; expires_at: number } | undefined;
    return r ? { id, csrf: r.csrf, expiresAt: r.expires_at } : null;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hash(id));
  }

  deleteExpired(now: number): void {
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  }
}
