// The custom certificate checks that need no server: RFC 6125 name matching, the size bounds, and the renewer
// leaving a custom certificate alone.
import { describe, expect, it } from 'vitest';
import { MAX_CERT_PEM, checkCustom, covers, dueAt } from '../../src/certs/index.ts';

describe('covers (RFC 6125)', () => {
  it('matches the same name, case aside', () => {
    expect(covers('WWW.Example.com', 'www.example.com')).toBe(true);
    expect(covers('example.com', 'www.example.com')).toBe(false);
  });
  it('lets a wildcard cover exactly one label', () => {
    expect(covers('*.example.com', 'www.example.com')).toBe(true);
    expect(covers('*.example.com', 'example.com')).toBe(false);
    expect(covers('*.example.com', 'a.b.example.com')).toBe(false);
    expect(covers('*.example.com', 'www.example.org')).toBe(false);
  });
  it('covers a served wildcard only with the same wildcard', () => {
    expect(covers('*.example.com', '*.example.com')).toBe(true);
    expect(covers('*.com', '*.example.com')).toBe(false);
    expect(covers('www.example.com', '*.example.com')).toBe(false);
  });
  it('takes no partial wildcards', () => {
    expect(covers('w*.example.com', 'www.example.com')).toBe(false);
  });
});

describe('checkCustom', () => {
  it('refuses empty, oversized and non-PEM input before parsing, with the reason', () => {
    expect(() => checkCustom('', 'k')).toThrow('no certificate given');
    expect(() => checkCustom('x'.repeat(MAX_CERT_PEM + 1), 'k')).toThrow(/at most/);
    expect(() => checkCustom('garbage', 'k')).toThrow('not PEM');
    const block = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(() => checkCustom(block.repeat(9), 'k')).toThrow('the chain has more than 8 certificates');
    expect(() => checkCustom(block, 'k')).toThrow('certificate 1 of the chain does not parse');
    expect(() => checkCustom(block, 5)).toThrow('no private key given');
    expect(() => checkCustom('-----BEGIN CERTIFICATE-----\nAAAA', 'k')).toThrow('certificate 1 of the chain is not PEM');
    expect(() => checkCustom(`${block}-----BEGIN CERTIFICATE-----\n<script>\n-----END CERTIFICATE-----\n`, 'k')).toThrow('certificate 2 of the chain is not PEM');
  });
});

describe('the renewer and a custom certificate', () => {
  it('never finds it due, forced or not', () => {
    const meta = { domain: 'www.example.com', kind: 'custom' as const, failures: 0, lastError: null, lastAttempt: null, nextAttempt: null, notAfter: new Date(Date.now() - 1000).toISOString() };
    expect(dueAt(meta, 'https://acme.example/dir', 30 * 86400_000)).toBe(Infinity);
    expect(dueAt(meta, 'https://acme.example/dir', 30 * 86400_000, true)).toBe(Infinity);
  });
});
