// Dashboard sessions (in memory, and in the state file when given one, so a restart logs no one out), the check of a request's session (its cookie, and the CSRF token of a change), and the per-client limit on failed logins.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { StoredSession } from '../../store/index.ts';

export const SESSION_COOKIE = 'mc_session';
/**
 * Over HTTPS the cookie is `__Host-` prefixed: browsers then accept it only Secure, for this host alone,
 * so an app on a sibling subdomain cannot set one for the dashboard (cookie tossing).
 */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const sessionCookieName = (secure: boolean) => (secure ? HOST_SESSION_COOKIE : SESSION_COOKIE);
export const SESSION_TTL_MS = 12 * 60 * 60_000;

/** A dashboard session: the store's row shape, so the two cannot drift apart. */
export type Session = StoredSession;

/** Where sessions outlive the process (the store's sessions table). */
export interface SessionBacking {
  save(s: Session): void;
  find(id: string): Session | null;
  delete(id: string): void;
  deleteExpired(now: number): void;
}

export class SessionStore {
  // Without a backing table: the sessions themselves. With one, the table is the truth (an admin may end
  // a session, or a token be revoked, at any moment), so nothing is cached.
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs = SESSION_TTL_MS, private readonly now: () => number = Date.now, private readonly backing?: SessionBacking) {}

  create(principal = '', address = ''): Session {
    this.sweep();
    const s: Session = {
      id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + this.ttlMs,
      principal, createdAt: this.now(), address,
    };
    if (this.backing) this.backing.save(s);
    else this.sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id, or null (unknown or expired; an expired one is forgotten). */
  get(id: string | null | undefined): Session | null {
    if (!id) return null;
    const s = this.backing ? this.backing.find(id) : this.sessions.get(id) ?? null;
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string | null | undefined): void {
    if (!id) return;
    this.sessions.delete(id);
    this.backing?.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    this.backing?.deleteExpired(now);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(session.csrf, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header, or null; null too when the name comes twice (one may be planted). */
export function readCookie(header: string | undefined, name: string): string | null {
  let found: string | null = null;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (found !== null) return null;
    found = part.slice(eq + 1).trim();
  }
  if (found === null) return null;
  try {
    return decodeURIComponent(found);
  } catch {
    return null;
  }
}

/** The Set-Cookie value for a session (or, with `null`, the one that clears it). */
export function sessionCookie(session: Session | null, secure: boolean): string {
  const attrs = ['HttpOnly', 'SameSite=Strict', 'Path=/', ...(secure ? ['Secure'] : [])];
  const name = sessionCookieName(secure);
  if (!session) return [`${name}=`, 'Max-Age=0', ...attrs].join('; ');
  const maxAge = Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000));
  return [`${name}=${session.id}`, `Max-Age=${maxAge}`, ...attrs].join('; ');
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's live dashboard session, from its cookie, or null. */
export function sessionOf(sessions: SessionStore, req: Request): Session | null {
  return sessions.get(readCookie(req.headers.cookie, sessionCookieName(req.secure)));
}

/** Lets a request with a session through; a state-changing one must carry the session's CSRF token. */
export function checkSession(session: Session, req: Request, res: Response, next: NextFunction): void {
  if (STATE_CHANGING.has(req.method) && !csrfMatches(session, req.get('x-csrf-token'))) {
    res.status(403).json({ error: 'missing or wrong CSRF token' });
    return;
  }
  // A page opens a websocket with the cookie and no header of its own (any site can try): it must be one of ours,
  // and show the session's CSRF token in the query.
  if (req.headers.upgrade !== undefined && (!sameOrigin(req) || !csrfMatches(session, req.query.csrf))) {
    res.status(403).json({ error: 'a websocket on a dashboard session needs the page\'s own origin and its CSRF token (?csrf=)' });
    return;
  }
  next();
}

/** The Origin header names the host the request was sent to. */
function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/**
 * At most `limit` failures per key (client IP) in a sliding window of `windowMs`. Once reached, `blocked`
 * says how many seconds remain until the oldest failure leaves the window.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit = 5, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Seconds to wait before trying again (0: go ahead). */
  blocked(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  fail(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.set(key, recent);
    if (this.failures.size > 10_000 && this.now() - this.sweptAt > 1000) this.sweep(); // at most once a second: a sweep is O(clients)
    // Still too many clients failing at once: forget the longest-known ones, so memory stays bounded.
    for (const k of this.failures.keys()) {
      if (this.failures.size <= 100_000) break;
      this.failures.delete(k);
    }
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length) this.failures.set(key, recent);
    else this.failures.delete(key);
    return recent;
  }

  private sweptAt = 0;

  private sweep(): void {
    this.sweptAt = this.now();
    for (const key of [...this.failures.keys()]) this.recent(key);
  }

  get keys(): number {
    return this.failures.size;
  }
}
