// API tokens: a name, a role, optional apps and a SHA-256 hash of the secret (never the secret itself).
import { randomUUID } from 'node:crypto';
import { UserError } from '../core/index.ts';
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

export interface StoredToken {
  /** Changes whenever the secret does: sessions made with a token name this id, so a new secret ends them. */
  id: string;
  name: string;
  role: string;
  /** null: every app. */
  apps: string[] | null;
  /** A person's own token (users:add); their role and apps apply. */
  user: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A row of `tokens`. */
export interface TokenRow {
  id: string; name: string; hash: string; role: string; apps: string | null; user_email: string | null; created_at: string; last_used_at: string | null;
}

const toToken = (r: TokenRow): StoredToken => ({
  id: r.id, name: r.name, role: r.role, apps: r.apps === null ? null : fromJson<string[]>(r.apps),
  user: r.user_email, createdAt: r.created_at, lastUsedAt: r.last_used_at,
});

export class TokensTable {
  constructor(private readonly db: Db) {}

  add(t: { name: string; hash: string; role: string; apps: string[] | null; user?: string | null }): StoredToken {
    if (this.byName(t.name)) throw new UserError(`a token named ${t.name} already exists`, `pick another name, or revoke it first with \`minicloud tokens:revoke ${t.name}\``, 409);
    this.db.prepare('INSERT INTO tokens (id, name, hash, role, apps, user_email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(randomUUID(), t.name, t.hash, t.role, t.apps === null ? null : JSON.stringify(t.apps), t.user ?? null, new Date().toISOString());
    return this.byName(t.name)!;
  }

  /**
   * The token that MINICLOUD_TOKEN (or admin.token) is, under `name`: a different secret replaces the
   * row, so the previous secret, and every session made with it, stop working.
   */
  setBoot(name: string, hash: string): void {
    const row = this.db.prepare<[string], Pick<TokenRow, 'hash'>>('SELECT hash FROM tokens WHERE name = ?').get(name);
    if (row?.hash === hash) return;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM tokens WHERE name = ? OR hash = ?').run(name, hash);
      this.add({ name, hash, role: 'admin', apps: null });
    })();
  }

  byHash(hash: string): StoredToken | null {
    const r = this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE hash = ?').get(hash);
    return r ? toToken(r) : null;
  }

  byId(id: string): StoredToken | null {
    const r = this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?').get(id);
    return r ? toToken(r) : null;
  }

  byName(name: string): StoredToken | null {
    const r = this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE name = ?').get(name);
    return r ? toToken(r) : null;
  }

  list(user?: string): StoredToken[] {
    const rows = user === undefined
      ? this.db.prepare<[], TokenRow>('SELECT * FROM tokens ORDER BY name').all()
      : this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE user_email = ? ORDER BY name').all(user);
    return rows.map(toToken);
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE name = ?').run(name).changes > 0;
  }

  deleteOfUser(user: string): void {
    this.db.prepare('DELETE FROM tokens WHERE user_email = ?').run(user);
  }

  /** A destroyed app leaves every token's list (an app made later with its name is a new app). */
  forgetApp(app: string): void {
    for (const t of this.list()) {
      if (t.apps?.includes(app)) this.db.prepare('UPDATE tokens SET apps = ? WHERE id = ?').run(JSON.stringify(t.apps.filter((a) => a !== app)), t.id);
    }
  }

  touch(id: string, at: string): void {
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}
