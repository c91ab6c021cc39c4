// People: adding, changing the role of, and removing users (admin or member of named apps), their passwords (scrypt), and checking a login.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { UserError, type NewUserRequest } from '../../core/index.ts';
import type { Store, StoredUser } from '../../store/index.ts';
import type { Principal } from './roles.ts';

export const MIN_PASSWORD = 12;
const KEY_LEN = 32;

// A check takes ~0.2 s of one libuv thread, the pool file reads share: at most two run at once, a few wait,
// and a flood of logins from many addresses is answered 503 instead of starving everything else.
const RUNNING_MAX = 2;
const WAITING_MAX = 16;
let running = 0;
const waiting: (() => void)[] = [];

/** A slot to run a check in; a waiter is handed the slot of the check that ends. */
async function acquire(): Promise<void> {
  if (running < RUNNING_MAX) {
    running++;
    return;
  }
  if (waiting.length >= WAITING_MAX) throw new UserError('too many logins at once; try again in a few seconds', undefined, 503);
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

async function derive(password: string, salt: Buffer): Promise<Buffer> {
  await acquire();
  try {
    return await new Promise((resolve, reject) => scrypt(password, salt, KEY_LEN, { N: 16384, r: 8, p: 1 }, (e, key) => (e ? reject(e) : resolve(key))));
  } finally {
    release();
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await derive(password, salt)).toString('base64url')}`;
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Who a person is now (their role and apps as stored), for a session or one of their tokens. */
export function personPrincipal(u: StoredUser, token: string | null): Principal {
  return { name: u.email, role: u.role === 'admin' ? 'admin' : 'member', apps: u.role === 'admin' ? null : (u.apps ?? []), token, user: u.email };
}

export class People {
  constructor(private readonly store: Store) {}

  /** Adds a person (the input checked at the route: api/inputs.ts parseNewUser); without a password one is made, to be handed over once. */
  async add(input: NewUserRequest): Promise<{ user: StoredUser; password: string | null }> {
    for (const a of input.apps) this.store.apps.require(a);
    const password = input.password ?? randomBytes(18).toString('base64url');
    const user = this.store.users.add({ email: input.email, role: input.role, apps: input.role === 'admin' ? null : input.apps, passwordHash: await hashPassword(password) });
    return { user, password: input.password === undefined ? password : null };
  }

  /** A new role and apps (checked at the route: api/inputs.ts parseUserRole), in force at the person's next request. */
  setRole(email: string, input: Pick<NewUserRequest, 'role' | 'apps'>): StoredUser {
    for (const a of input.apps) this.store.apps.require(a);
    const user = this.store.users.setRole(email.toLowerCase(), input.role, input.role === 'admin' ? null : input.apps);
    if (!user) throw new UserError(`no user ${email}`, 'see the users with `minicloud users`', 404);
    return user;
  }

  remove(email: string): void {
    if (!this.store.users.remove(email.toLowerCase())) throw new UserError(`no user ${email}`, 'see the users with `minicloud users`', 404);
  }

  /** The person whose email and password these are, or null (unknown email and wrong password take as long). */
  async login(email: string, password: string): Promise<StoredUser | null> {
    if (password.length > 1024) return null;
    const u = this.store.users.get(email.trim().toLowerCase());
    const ok = await passwordMatches(password, u?.passwordHash ?? DUMMY);
    return u && ok ? u : null;
  }
}

// Compared against when the email is unknown, so the answer takes as long as for a known one.
const DUMMY = `scrypt$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LEN).toString('base64url')}`;
