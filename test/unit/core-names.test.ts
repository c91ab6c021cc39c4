// core: validation of user-supplied names and reading Redis URLs.
import { describe, expect, it } from 'vitest';
import {
  NotFoundError, UserError, isUserError, parseRedisUrl, validateAppName, validateBranch, validateConfigKey,
} from '../../src/core/index.ts';

/** Runs fn and returns the UserError it throws (fails the test if it throws something else or nothing). */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('validateAppName', () => {
  it.each(['hello', 'my-app2', 'a', 'a'.repeat(63), 'x1-y2-z3'])('accepts %j and returns it', (name) => {
    expect(validateAppName(name)).toBe(name);
  });

  it.each(['../x', 'A B', 'Hello', '-x', 'x-', 'a--b', '1app', 'my_app', 'my.app', 'app/x', 'café'])(
    'refuses %j with a message naming it and a hint on what a name looks like',
    (name) => {
      const e = userError(() => validateAppName(name));
      expect(e.status).toBe(400);
      expect(e.message).toContain(JSON.stringify(name));
      expect(e.hint).toMatch(/lowercase letters, digits and single dashes/);
      expect(e.hint).toMatch(/starting with a letter/);
    },
  );

  it.each([64, 65, 200])('refuses a %i-character name, saying the limit is 63', (n) => {
    const e = userError(() => validateAppName('a'.repeat(n)));
    expect(e.message).toContain(`${n} characters`);
    expect(e.message).toContain('63');
    expect(e.hint).toMatch(/shorter/);
  });

  it.each([[''], [undefined], [null], [42], [{}], [['hello']]])('refuses %j as missing, hinting at apps:create', (name) => {
    const e = userError(() => validateAppName(name));
    expect(e.message).toMatch(/required/);
    expect(e.hint).toContain('apps:create');
  });
});

describe('validateConfigKey', () => {
  it.each(['DATABASE_URL', 'PORT', '_x', 'a1', 'A'.repeat(128)])('accepts %j', (key) => {
    expect(validateConfigKey(key)).toBe(key);
  });

  it.each(['', '1ABC', 'MY-VAR', 'A B', 'A=B', 'A.B', '$X', 'A'.repeat(129), 'É'])('refuses %j with a hint', (key) => {
    const e = userError(() => validateConfigKey(key));
    expect(e.message).toContain(JSON.stringify(key));
    expect(e.hint).toMatch(/letters, digits and underscores/);
  });
});

describe('validateBranch', () => {
  it.each(['main', 'master', 'feature/x', 'release-1.2', 'a_b', 'v1.0'])('accepts %j', (b) => {
    expect(validateBranch(b)).toBe(b);
  });

  it.each(['..', 'a..b', 'a.lock', 'x/a.lock', '-x', 'a//b', '/a', 'a/', 'a.', 'a@{1}', '', 'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', 'x'.repeat(201)])(
    'refuses %j, suggesting a plain branch name',
    (b) => {
      const e = userError(() => validateBranch(b));
      expect(e.message).toContain(JSON.stringify(b));
      expect(e.hint).toContain('main');
    },
  );
});

describe('errors', () => {
  it('UserError carries a hint and a status; NotFoundError is a 404 UserError', () => {
    const u = new UserError('bad', 'do this', 409);
    expect([u.message, u.hint, u.status, u.name]).toEqual(['bad', 'do this', 409, 'UserError']);
    expect(new UserError('x').status).toBe(400);
    const n = new NotFoundError('gone', 'look elsewhere');
    expect(n).toBeInstanceOf(UserError);
    expect([n.status, n.name, n.hint]).toEqual([404, 'NotFoundError', 'look elsewhere']);
    expect(isUserError(n)).toBe(true);
    expect(isUserError(new Error('bug'))).toBe(false);
    expect(isUserError('string')).toBe(false);
  });
});

describe('parseRedisUrl', () => {
  it('reads host, port and defaults db 0, no TLS, no auth', () => {
    const t = parseRedisUrl('redis://redis.example:6380');
    expect(t).toMatchObject({ host: 'redis.example', port: 6380, db: 0 });
    expect(t.tls).toBeUndefined();
    expect(t.password).toBeUndefined();
    expect(t.username).toBeUndefined();
    expect(t.path).toBeUndefined();
  });

  it('defaults the port to 6379', () => {
    expect(parseRedisUrl('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://localhost/')).toMatchObject({ port: 6379, db: 0 });
  });

  it('reads the db number from the path', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/3').db).toBe(3);
    expect(parseRedisUrl('redis://127.0.0.1/15').db).toBe(15);
  });

  it('reads a password alone, and a username with a password, URL-decoded', () => {
    const p = parseRedisUrl('redis://:s3cr%40t%2F@h:1/2');
    expect(p).toMatchObject({ host: 'h', port: 1, db: 2, password: 's3cr@t/' });
    expect(p.username).toBeUndefined();
    expect(parseRedisUrl('redis://al%20ice:pw@h')).toMatchObject({ username: 'al ice', password: 'pw' });
  });

  it('turns on TLS for rediss://', () => {
    expect(parseRedisUrl('rediss://:pw@cache.example:6390/1')).toEqual(
      expect.objectContaining({ host: 'cache.example', port: 6390, db: 1, password: 'pw', tls: {} }),
    );
  });

  it('reads a unix socket path, with no host, port or db', () => {
    const t = parseRedisUrl('unix:///var/run/redis/redis.sock');
    expect(t.path).toBe('/var/run/redis/redis.sock');
    expect(t.host).toBeUndefined();
    expect(t.port).toBeUndefined();
    expect(t.tls).toBeUndefined();
    expect(parseRedisUrl('unix:///tmp/my%20dir/r.sock').path).toBe('/tmp/my dir/r.sock');
  });

  it('throws on something that is not a URL', () => {
    expect(() => parseRedisUrl('not a url')).toThrow();
  });
});

describe('parseRedisUrl with an IPv6 literal', () => {
  // The URL keeps the brackets in hostname ("[::1]"); ioredis then looks "[::1]" up in DNS and fails (ENOTFOUND).
  it('gives the bare address as host, as ioredis and net.connect expect', () => {
    expect(parseRedisUrl('redis://[::1]:6380/2')).toMatchObject({ host: '::1', port: 6380, db: 2 });
    expect(parseRedisUrl('rediss://[2001:db8::5]').host).toBe('2001:db8::5');
  });
});
