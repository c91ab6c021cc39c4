// Turning a credential (a token's secret, a session's owner) into the Principal it stands for, from the store every time.
import { randomBytes } from 'node:crypto';
import { TOKEN_ROLES, UserError, type NewTokenRequest, type TokenRole } from '../../core/index.ts';
import type { Store, StoredToken } from '../../store/index.ts';
import { hashToken } from './auth.ts';
import { actorOf, type Principal } from './roles.ts';
import { personPrincipal } from './people.ts';

/** Shorter secrets are refused outright: every token minicloud makes is longer, and short ones are guessable. */
export const MIN_TOKEN_LENGTH = 32;
/** The token MINICLOUD_TOKEN (or <data>/admin.token) is: replaced, not added to, when it changes. */
export const BOOT_TOKEN = 'admin';

const LAST_USED_EVERY_MS = 60_000;

export const newTokenSecret = () => `mc_${randomBytes(32).toString('base64url')}`;

export class Access {
  private readonly touched = new Map<string, number>();

  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** The principal of a token's secret, or null (unknown, revoked, too short). Records when it was last used. */
  fromSecret(secret: string): { principal: Principal; tokenId: string } | null {
    if (secret.length < MIN_TOKEN_LENGTH || secret.length > 512) return null;
    const t = this.store.tokens.byHash(hashToken(secret));
    if (!t) return null;
    this.touch(t);
    const principal = this.ofToken(t);
    return principal ? { principal, tokenId: t.id } : null;
  }

  /** A session's owner (`token:<id>` or `user:<email>`), or null once that token or person is gone. */
  fromSessionRef(ref: string): Principal | null {
    const [kind, id] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    if (kind === 'token') {
      const t = this.store.tokens.byId(id);
      return t ? this.ofToken(t) : null;
    }
    const u = kind === 'user' ? this.store.users.get(id) : null;
    return u ? personPrincipal(u, null) : null;
  }

  /** Who a session belongs to, as people read it (`-` once gone). */
  describeRef(ref: string): string {
    const p = this.fromSessionRef(ref);
    return p ? actorOf(p) : '-';
  }

  private ofToken(t: StoredToken): Principal | null {
    if (t.user !== null) {
      const u = this.store.users.get(t.user);
      return u ? personPrincipal(u, t.name) : null;
    }
    const role = TOKEN_ROLES.find((r) => r === t.role); // a role this version does not know grants nothing
    return role ? { name: t.name, role, apps: t.apps, token: t.name, user: null } : null;
  }

  /** Creates a token (the input checked at the route: api/inputs.ts parseNewToken); the secret is returned once and only its hash is kept. */
  create(by: Principal, input: NewTokenRequest): { token: StoredToken; secret: string } {
    const { name, role } = input;
    if (role === undefined && by.user !== null) return this.createPersonal(by.user, name);
    if (role === undefined) throw new UserError('invalid role ""', `use --role ${TOKEN_ROLES.join('|')}`);
    const apps = this.appsOf(role, input.apps);
    if (by.role !== 'admin') throw new UserError('only an admin can create tokens with a role', 'leave out --role to create your own token, which acts as you', 403);
    const secret = newTokenSecret();
    return { token: this.store.tokens.add({ name, hash: hashToken(secret), role, apps }), secret };
  }

  /** A person's own token: it acts as them (their role and apps, as they are at each request). */
  private createPersonal(user: string, name: string): { token: StoredToken; secret: string } {
    const secret = newTokenSecret();
    return { token: this.store.tokens.add({ name, hash: hashToken(secret), role: 'person', apps: null, user }), secret };
  }

  private appsOf(role: TokenRole, apps: string[]): string[] | null {
    for (const a of apps) this.store.apps.require(a);
    if (role === 'deploy' && apps.length === 0) throw new UserError('a deploy token is for named apps', 'add --app <app> (once per app)');
    if ((role === 'admin' || role === 'metrics') && apps.length > 0) throw new UserError(`a ${role} token covers every app`, 'leave out --app');
    return apps.length ? apps : null;
  }

  /** Revokes a token: it stops working at once, and the dashboard sessions made with it end. */
  revoke(by: Principal, name: string): void {
    const t = this.store.tokens.byName(name);
    if (!t || (by.role !== 'admin' && t.user !== by.user)) {
      throw new UserError(`no token named ${name}`, 'see the tokens with `minicloud tokens`', 404);
    }
    if (t.name === BOOT_TOKEN) throw new UserError(`${BOOT_TOKEN} is MINICLOUD_TOKEN's token`, 'change MINICLOUD_TOKEN (or delete <data>/admin.token) and restart minicloud to replace it');
    this.store.tokens.delete(name);
    this.store.sessions.deleteOf(`token:${t.id}`);
  }

  list(by: Principal): StoredToken[] {
    return by.role === 'admin' ? this.store.tokens.list() : this.store.tokens.list(by.user ?? '\0');
  }

  private touch(t: StoredToken): void {
    const now = this.now();
    if (now - (this.touched.get(t.id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.touched.set(t.id, now);
    if (this.touched.size > 10_000) this.touched.clear();
    this.store.tokens.touch(t.id, new Date(now).toISOString());
  }
}
