// The self-signed issuer writes its certificates itself (certs/der.ts): what node's X.509 parser reads back from one,
// that it signs itself with the key it comes with, and the encodings a long name or a far date need.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SELF_SIGNED_ORG, SelfSignedIssuer } from '../../src/certs/index.ts';
import { oid, time, uint } from '../../src/certs/der.ts';

describe('self-signed certificates', () => {
  it('names the domain (CN and the one SAN), minicloud as O, is no CA, serves TLS, and is signed by its own key', async () => {
    const before = Date.now();
    const c = await new SelfSignedIssuer().issue('shop.example.com');
    const x = new X509Certificate(c.certPem);
    expect(x.subject).toBe(`CN=shop.example.com\nO=${SELF_SIGNED_ORG}`);
    expect(x.issuer).toBe(x.subject);
    expect(x.subjectAltName).toBe('DNS:shop.example.com');
    expect(x.checkHost('shop.example.com')).toBe('shop.example.com');
    expect(x.checkHost('other.example.com')).toBeUndefined();
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // extended key usage: TLS server
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
    expect(c.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(c.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
    // Valid from an hour back (clients with a slow clock) for a year.
    const from = Date.parse(x.validFrom);
    expect(from).toBeLessThanOrEqual(before - 3599_000);
    expect(from).toBeGreaterThan(before - 3700_000);
    expect(Date.parse(x.validTo) - from).toBeGreaterThanOrEqual(365 * 86400_000);
  });

  it('gives every certificate its own positive serial and key', async () => {
    const issuer = new SelfSignedIssuer();
    const [a, b] = await Promise.all([issuer.issue('a.localhost'), issuer.issue('a.localhost')]);
    const [xa, xb] = [new X509Certificate(a!.certPem), new X509Certificate(b!.certPem)];
    expect(xa.serialNumber).not.toBe(xb.serialNumber);
    expect(Number.parseInt(xa.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    expect(a!.keyPem).not.toBe(b!.keyPem);
  });

  it('writes long names (multi-byte lengths), wildcards, and dates past 2049 (GeneralizedTime)', async () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(50)}.example`;
    const x = new X509Certificate((await new SelfSignedIssuer(40 * 365).issue(long)).certPem);
    expect(x.subjectAltName).toBe(`DNS:${long}`);
    expect(new Date(x.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(2060);
    expect(new X509Certificate((await new SelfSignedIssuer().issue('*.apps.example.com')).certPem).checkHost('shop.apps.example.com')).toBe('*.apps.example.com');
  });

  it('encodes DER as X.690 says: OIDs, minimal integers, both time forms', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(oid('2.5.29.17').toString('hex')).toBe('0603551d11');
    expect(uint(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    expect(uint(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(time(new Date('2049-12-31T23:59:59Z')).toString()).toContain('491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });
});
