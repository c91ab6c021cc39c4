// People (users:add): an email, a role (admin or member), the apps a member works on, and a scrypt hash of the password.
import { UserError } from '../core/index.ts';
import type { Db } from './db.ts';
import { fromJson } from './json.ts';

export interface StoredUser {
  email: string;
  role: 'admin' | 'member';
  /** A member's apps; null for an admin (every app). */
  apps: string[] | null;
  passwordHash: string;
  createdAt: string;
}

/** A row of `users`. */
export interface UserRow { email: string; role: StoredUser['role']; apps: string | null; password_hash: string; created_at: string }

const toUser = (r: UserRow): StoredUser => ({
  email: r.email, role: r.role, apps: r.apps === null ? null : fromJson<string[]>(r.apps), passwordHash: r.password_hash, createdAt: r.created_at,
});

export class UsersTable {
  constructor(private readonly db: Db) {}

  add(u: Omit<StoredUser, 'createdAt'>): StoredUser {
    if (this.get(u.email)) throw new UserError(`${u.email} is already a user`, `see the users with \`minicloud users\`, or remove them first with \`minicloud users:remove ${u.email}\``, 409);
    this.db.prepare('INSERT INTO users (email, role, apps, password_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(u.email, u.role, u.apps === null ? null : JSON.stringify(u.apps), u.passwordHash, new Date().toISOString());
    return this.get(u.email)!;
  }

  get(email: string): StoredUser | null {
    const r = this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?').get(email);
    return r ? toUser(r) : null;
  }

  list(): StoredUser[] {
    return this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY email').all().map(toUser);
  }

  /** Changes a person's role and apps; their sessions and own tokens act with the new ones from the next request. */
  setRole(email: string, role: StoredUser['role'], apps: string[] | null): StoredUser | null {
    this.db.prepare('UPDATE users SET role = ?, apps = ? WHERE email = ?').run(role, apps === null ? null : JSON.stringify(apps), email);
    return this.get(email);
  }

  /** A destroyed app leaves every member's list. */
  forgetApp(app: string): void {
    for (const u of this.list()) {
      if (u.apps?.includes(app)) this.db.prepare('UPDATE users SET apps = ? WHERE email = ?').run(JSON.stringify(u.apps.filter((a) => a !== app)), u.email);
    }
  }

  /** Removes the person, their own tokens and their sessions. */
  remove(email: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM tokens WHERE user_email = ?').run(email);
      this.db.prepare('DELETE FROM sessions WHERE principal = ?').run(`user:${email}`);
      return this.db.prepare('DELETE FROM users WHERE email = ?').run(email).changes > 0;
    })();
  }
}
