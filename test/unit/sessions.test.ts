// Dashboard sessions: ids and CSRF tokens, expiry, cookies, and the limit on failed logins.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { limitKey } from '../../src/api/access/client-address.ts';
import { FailureLimiter, SESSION_TTL_MS, SessionStore, csrfMatches, readCookie, sessionCookie } from '../../src/api/access/sessions.ts';

describe('SessionStore', () => {
  it('keeps sessions in the state file across restarts, by a hash of their id only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-sessions-'));
    try {
      let now = 1_000_000;
      const first = new Store(join(dir, 'minicloud.db'));
      const s = new SessionStore(SESSION_TTL_MS, () => now, first.sessions).create();
      const gone = new SessionStore(SESSION_TTL_MS, () => now, first.sessions).create();
      new SessionStore(SESSION_TTL_MS, () => now, first.sessions).delete(gone.id); // logged out elsewhere
      first.close();
      expect(readFileSync(join(dir, 'minicloud.db')).includes(Buffer.from(s.id))).toBe(false);

      const second = new Store(join(dir, 'minicloud.db')); // minicloud restarted
      const after = new SessionStore(SESSION_TTL_MS, () => now, second.sessions);
      expect(after.get(s.id)).toEqual(s);
      expect(after.get(gone.id)).toBeNull();
      now += SESSION_TTL_MS;
      expect(after.get(s.id)).toBeNull();
      expect(second.sessions.count()).toBe(0);
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates sessions with random 32-byte ids and their own CSRF tokens', () => {
    const store = new SessionStore();
    const a = store.create();
    const b = store.create();
    expect(Buffer.from(a.id, 'base64url')).toHaveLength(32);
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(b.csrf);
    expect(a.csrf).not.toBe(a.id);
    expect(store.get(a.id)).toBe(a);
    expect(store.get('nope')).toBeNull();
    expect(store.get(null)).toBeNull();
  });

  it('expires a session after 12 hours', () => {
    let now = 1_000_000;
    const store = new SessionStore(SESSION_TTL_MS, () => now);
    const s = store.create();
    now += SESSION_TTL_MS - 1;
    expect(store.get(s.id)).toBe(s);
    now += 1;
    expect(store.get(s.id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('forgets expired sessions when new ones are made, and deletes on logout', () => {
    let now = 0;
    const store = new SessionStore(1000, () => now);
    store.create();
    store.create();
    now = 5000;
    const s = store.create();
    expect(store.size).toBe(1);
    store.delete(s.id);
    expect(store.get(s.id)).toBeNull();
  });

  it('accepts only the session\u2019s own CSRF token', () => {
    const store = new SessionStore();
    const s = store.create();
    const other = store.create();
    expect(csrfMatches(s, s.csrf)).toBe(true);
    expect(csrfMatches(s, other.csrf)).toBe(false);
    expect(csrfMatches(s, undefined)).toBe(false);
    expect(csrfMatches(s, '')).toBe(false);
    expect(csrfMatches(s, s.csrf.slice(1))).toBe(false);
  });
});

describe('cookies', () => {
  it('reads one cookie from a Cookie header', () => {
    expect(readCookie('a=1; mc_session=abc%3D; b=2', 'mc_session')).toBe('abc=');
    expect(readCookie('xmc_session=1', 'mc_session')).toBeNull();
    expect(readCookie(undefined, 'mc_session')).toBeNull();
    expect(readCookie('mc_session=%E0%A4%A', 'mc_session')).toBeNull();
  });

  it('ignores a cookie whose name comes twice (one may be planted by a sibling subdomain)', () => {
    expect(readCookie('mc_session=mine; mc_session=planted', 'mc_session')).toBeNull();
    expect(readCookie('__Host-mc_session=a; mc_session=b', '__Host-mc_session')).toBe('a');
  });

  it('sets an HttpOnly, SameSite=Strict cookie, Secure over HTTPS, and clears it', () => {
    const s = new SessionStore().create();
    const plain = sessionCookie(s, false);
    expect(plain).toMatch(new RegExp(`^mc_session=${s.id}; Max-Age=43\\d{3}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(sessionCookie(s, true)).toMatch(new RegExp(`^__Host-mc_session=${s.id}; Max-Age=\\d+; HttpOnly; SameSite=Strict; Path=/; Secure$`));
    expect(sessionCookie(null, true)).toMatch(/^__Host-mc_session=; Max-Age=0;/);
    expect(sessionCookie(null, false)).toBe('mc_session=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/');
  });
});

describe('FailureLimiter', () => {
  it('blocks a client after 5 failures in a minute, until the oldest leaves the window', () => {
    let now = 0;
    const limiter = new FailureLimiter(5, 60_000, () => now);
    for (let i = 0; i < 5; i++) {
      expect(limiter.blocked('1.2.3.4')).toBe(0);
      limiter.fail('1.2.3.4');
      now += 1000;
    }
    expect(limiter.blocked('1.2.3.4')).toBe(55); // the first failure (t=0) leaves the window at t=60 s; now t=5 s
    expect(limiter.blocked('5.6.7.8')).toBe(0);
    now = 60_001;
    expect(limiter.blocked('1.2.3.4')).toBe(0);
    limiter.fail('1.2.3.4');
    expect(limiter.blocked('1.2.3.4')).toBe(1); // still 5 in the window: t=1..4 s and now
  });

  it('forgets clients whose failures are old', () => {
    let now = 0;
    const limiter = new FailureLimiter(5, 60_000, () => now);
    limiter.fail('a');
    now = 61_000;
    expect(limiter.blocked('a')).toBe(0);
    expect(limiter.keys).toBe(0);
  });
});

describe('limitKey', () => {
  it('counts an IPv4 address alone and an IPv6 address by its /64', () => {
    expect(limitKey('203.0.113.5')).toBe('203.0.113.5');
    expect(limitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(limitKey('::1')).toBe('0:0:0:0::/64');
  });
});
