// core: custom domain validation (validateDomain, checkDomainAvailable), and the Domains store behind domains:add.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UserError, checkDomainAvailable, validateDomain } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';

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

describe('validateDomain', () => {
  it.each([
    ['www.example.com', 'www.example.com'],
    ['WWW.Example.COM', 'www.example.com'],
    ['www.example.com.', 'www.example.com'],
    ['  shop.example.test  ', 'shop.example.test'],
    ['example.com', 'example.com'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example.', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['*.example.com', '*.example.com'],
    ['*.Shop.Test.', '*.shop.test'],
    ['*.bücher.example', '*.xn--bcher-kva.example'],
    ['1password.com', '1password.com'],
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
  ])('accepts %j as %j', (input, out) => {
    expect(validateDomain(input)).toBe(out);
  });

  it('accepts a name of exactly 253 characters', () => {
    const name = [...Array(3).fill('a'.repeat(63)), 'b'.repeat(61)].join('.');
    expect(name).toHaveLength(253);
    expect(validateDomain(name)).toBe(name);
  });

  it.each([
    [undefined, /domain name is required/],
    ['', /domain name is required/],
    ['   ', /domain name is required/],
    [42, /domain name is required/],
    ['example.com:8080', /contains a port/],
    ['http://x', /is a URL/],
    ['https://www.example.com/shop', /is a URL/],
    ['a/b', /contains a path/],
    ['example.com/', /contains a path/],
    ['user@example.com', /"@"/],
    ['a..b.com', /empty label/],
    ['.example.com', /empty label/],
    ['example.com..', /empty label/],
    [`${'a'.repeat(64)}.com`, /64 characters long; the limit is 63/],
    ['my_app.example.com', /characters other than letters, digits and "-"/],
    ['a!b.example.com', /characters other than letters, digits and "-"/],
    ['exa mple.com', /spaces or characters/],
    ['a%41.com', /spaces or characters/],
    ['-shop.example.com', /starts or ends with "-"/],
    ['shop-.example.com', /starts or ends with "-"/],
    ['localhost', /single-label name/],
    ['intranet', /single-label name/],
    ['intranet.', /single-label name/],
    ['127.0.0.1', /IP address/],
    ['10.0.0.1', /IP address/],
    ['0x7f.1', /IP address/],
    ['example.123', /IP address/],
    ['::1', /IP address/],
    ['[::1]', /IP address/],
    ['*.com', /whole top-level domain/],
    ['*', /"\*" in the wrong place|whole top-level/],
    ['a.*.com', /"\*" in the wrong place/],
    ['*x.com', /"\*" in the wrong place/],
    ['*.*.example.com', /"\*" in the wrong place/],
    ['www.*', /"\*" in the wrong place/],
  ])('refuses %j, saying what is wrong and what to do', (input, message) => {
    const e = userError(() => validateDomain(input));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(message);
    expect(e.hint, 'a hint on what to do').toBeTruthy();
  });

  it('names the input in the message, and suggests the host for a URL or a port', () => {
    expect(userError(() => validateDomain('https://www.example.com/x')).hint).toContain('www.example.com');
    expect(userError(() => validateDomain('shop.example.com:8443')).hint).toContain('shop.example.com');
    expect(userError(() => validateDomain('intranet')).message).toContain('"intranet"');
  });

  it('refuses a name over 253 characters', () => {
    const name = [...Array(4).fill('a'.repeat(63)), 'com'].join('.');
    expect(userError(() => validateDomain(name)).message).toMatch(/the limit is 253/);
  });
});

describe('checkDomainAvailable', () => {
  const apps = new Set(['shop', 'blog', 'admin-tool']);
  const check = (domain: string, app = 'shop') => () => checkDomainAvailable(domain, app, 'apps.test', (n) => apps.has(n));

  it('allows domains outside minicloud\'s own, and names under the app\'s own default host', () => {
    for (const d of ['www.example.com', '*.example.com', 'apps.test.example.com', 'api.shop.apps.test', '*.shop.apps.test']) expect(check(d)).not.toThrow();
  });

  it('refuses the domain itself, admin.<domain>, and the app\'s own default host', () => {
    expect(userError(check('apps.test')).message).toMatch(/minicloud's own domain/);
    expect(userError(check('admin.apps.test')).message).toMatch(/reserved for minicloud/);
    expect(userError(check('shop.apps.test')).message).toMatch(/already shop's default domain/);
  });

  it('refuses another app\'s default host with 409 naming that app, and any other name under the domain', () => {
    const e = userError(check('blog.apps.test'));
    expect(e.status).toBe(409);
    expect(e.message).toMatch(/belongs to app blog/);
    expect(userError(check('www.blog.apps.test')).message).toMatch(/belongs to app blog/);
    expect(userError(check('future-app.apps.test')).message).toMatch(/reserved for apps' default domains/);
    expect(userError(check('*.apps.test')).message).toMatch(/reserved for apps' default domains/);
  });
});

describe('Domains (store)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mc-domains-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  let store: Store;
  beforeEach(() => {
    store = new Store(join(tmp, `db-${++n}`, 'state.db'));
    store.apps.create('shop');
    store.apps.create('blog');
  });
  afterEach(() => store.close());

  it('adds, lists, and removes an app\'s domains; adding again is idempotent', () => {
    expect(store.domains.add('shop', 'www.example.com')).toMatchObject({ domain: 'www.example.com', app: 'shop', added: true });
    expect(store.domains.add('shop', '*.example.com').added).toBe(true);
    expect(store.domains.add('shop', 'www.example.com').added).toBe(false);
    expect(store.domains.list('shop').map((d) => d.domain)).toEqual(['*.example.com', 'www.example.com']);
    expect(store.domains.list('shop')[0]!.createdAt).toMatch(/^\d{4}-/);
    expect(store.domains.all()).toEqual([{ domain: '*.example.com', app: 'shop' }, { domain: 'www.example.com', app: 'shop' }]);
    store.domains.remove('shop', 'www.example.com');
    expect(store.domains.list('shop').map((d) => d.domain)).toEqual(['*.example.com']);
  });

  it('refuses a domain another app has with 409 naming the owner', () => {
    store.domains.add('shop', 'www.example.com');
    const e = userError(() => store.domains.add('blog', 'www.example.com'));
    expect(e.status).toBe(409);
    expect(e.message).toBe('www.example.com is already used by app shop');
    expect(e.hint).toContain('minicloud domains:remove shop www.example.com');
  });

  it('answers 404 for removing a domain the app does not have', () => {
    store.domains.add('shop', 'www.example.com');
    expect(() => store.domains.remove('blog', 'www.example.com')).toThrow(NotFoundError);
    expect(() => store.domains.remove('shop', 'other.example.com')).toThrow(NotFoundError);
    expect(store.domains.all()).toHaveLength(1);
  });

  it('drops an app\'s domains with the app', () => {
    store.domains.add('shop', 'www.example.com');
    store.apps.delete('shop');
    expect(store.domains.all()).toEqual([]);
  });
});
