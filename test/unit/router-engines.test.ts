// The router's shared edge decisions: which engine serves a request and why, whether a failed try goes again, and the
// forwarding headers every engine sends.
import { describe, expect, it } from 'vitest';
import { dispatch, type HeadFacts } from '../../proxy/edge/dispatch.ts';
import { forwardedHeaders, type ForwardFacts } from '../../proxy/edge/forwarded.ts';
import { tryAgain } from '../../proxy/edge/retry.ts';
import { originForm, targetAuthority } from '../../proxy/edge/target.ts';
import { parseTrustedProxies, trustNobody } from '../../proxy/edge/trust.ts';
import type { Match, Route } from '../../src/routes/index.ts';

const up = { host: '127.0.0.1', port: 5000 };
const route = (more: Partial<Route> = {}): Route => ({ app: 'a', hosts: ['a.localhost'], upstreams: [up], state: 'running', ...more });
const match = (more: Partial<Route> = {}, upstream: Match['upstream'] = up): Match => ({ route: route(more), upstream });
const head = (more: Partial<HeadFacts> = {}): HeadFacts => ({ target: '/', forwarded: false, length: 0, ...more });
const policy = { challenges: true, trust: parseTrustedProxies('10.0.0.1') };

describe('dispatch', () => {
  it('gives the fast path a plain request to a running app with an instance', () => {
    expect(dispatch(head(), match(), '1.2.3.4', policy)).toBe('fast');
    // Forwarding headers from an untrusted peer are overwritten, not kept: the fast path can do that.
    expect(dispatch(head({ forwarded: true }), match(), '1.2.3.4', policy)).toBe('fast');
    expect(dispatch(head({ target: '/.well-known/acme-challenge/x' }), match(), '1.2.3.4', { ...policy, challenges: false })).toBe('fast');
  });

  it('says why Node’s server gets the rest', () => {
    const cases: Array<[ReturnType<typeof dispatch>, Parameters<typeof dispatch>]> = [
      ['unusual', [null, null, undefined, policy]],
      ['partial', ['incomplete', null, undefined, policy]],
      ['no-app', [head(), null, undefined, policy]],
      ['stopped', [head(), match({ state: 'stopped', upstreams: [] }, null), undefined, policy]],
      ['no-instance', [head(), match({ state: 'sleeping', upstreams: [] }, null), undefined, policy]],
      ['https-only', [head(), match({ httpsOnly: true }), undefined, policy]],
      ['route-headers', [head(), match({ upstreamHeaders: { 'x-proof': '1' } }), undefined, policy]],
      ['acme', [head({ target: '/.well-known/acme-challenge/abc' }), match(), undefined, policy]],
      ['trusted-proxy', [head({ forwarded: true }), match(), '10.0.0.1', policy]],
      ['body-limit', [head({ length: 11 }), match({ maxBodyBytes: 10 }), undefined, policy]],
    ];
    for (const [why, args] of cases) expect([why, dispatch(...args)]).toEqual([why, why]);
    expect(dispatch(head({ length: 10 }), match({ maxBodyBytes: 10 }), undefined, policy)).toBe('fast');
    expect(dispatch(head({ length: 1e12 }), match({ maxBodyBytes: 0 }), undefined, policy)).toBe('fast'); // 0: no limit
  });
});

describe('tryAgain', () => {
  it('sends a request no app saw to another instance', () => {
    expect(tryAgain({ unreached: true })).toBe('next');
  });

  it('sends a replayable request again, once, after a stale kept-alive connection', () => {
    expect(tryAgain({ unreached: false, stale: true, replayable: true, retried: false })).toBe('same');
    expect(tryAgain({ unreached: false, stale: true, replayable: true, retried: true })).toBeNull();
    expect(tryAgain({ unreached: false, stale: true, replayable: false })).toBeNull();
  });

  it('never sends a request that may have reached an app anywhere else', () => {
    expect(tryAgain({ unreached: false })).toBeNull();
    expect(tryAgain({ unreached: false, replayable: true })).toBeNull();
  });
});

describe('forwardedHeaders', () => {
  const facts = (more: Partial<ForwardFacts> = {}): ForwardFacts => ({
    peer: '::ffff:1.2.3.4', trusted: false, proto: 'http', host: 'a.localhost:8080', localPort: 80,
    given: (name) => ({ 'x-forwarded-for': '9.9.9.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'a.example.com', forwarded: 'for=9.9.9.9' })[name],
    ...more,
  });

  it('overwrites what an untrusted client says', () => {
    expect(forwardedHeaders(facts())).toEqual([
      'x-forwarded-for', '1.2.3.4', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'a.localhost:8080', 'x-forwarded-port', '8080',
    ]);
    expect(forwardedHeaders(facts({ host: 'a.localhost' }))).toContain('80'); // no port in Host: the one connected to
  });

  it('keeps and appends to a trusted proxy’s', () => {
    expect(forwardedHeaders(facts({ trusted: true }))).toEqual([
      'x-forwarded-for', '9.9.9.9, 1.2.3.4', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'a.example.com', 'x-forwarded-port', '8080',
      'forwarded', 'for=9.9.9.9',
    ]);
  });
});

describe('the request target', () => {
  it('reads an absolute form’s authority and passes the origin form on', () => {
    expect(targetAuthority('http://A.localhost:80/x?y')).toBe('A.localhost:80');
    expect(targetAuthority('/x')).toBeUndefined();
    expect(originForm('http://a.localhost/x?y')).toBe('/x?y');
    expect(originForm('http://a.localhost')).toBe('/');
    expect(originForm('/p')).toBe('/p');
    expect(originForm('*')).toBe('/');
  });
});

// trustNobody is what a router without MINICLOUD_TRUSTED_PROXIES uses: every forwarded header goes the fast way, overwritten.
it('trusts nobody by default', () => {
  expect(dispatch(head({ forwarded: true }), match(), '10.0.0.1', { challenges: false, trust: trustNobody })).toBe('fast');
});
