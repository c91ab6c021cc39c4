// The private CA behind minicloud's own swarm registry: a CA certificate, a server certificate for an IP address it
// signs, and the check that decides whether a kept certificate still fits (else minicloud makes it again).
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certFits, issueForIp, makeCa } from '../../src/certs/index.ts';

describe("the registry's private CA", () => {
  it('signs a server certificate for an IP address that the CA verifies, and the key matches it', async () => {
    const ca = await makeCa('test CA');
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    const server = await issueForIp(ca, '10.1.2.3');
    const cert = new X509Certificate(server.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(createPublicKey(createPrivateKey(server.keyPem)).export({ format: 'pem', type: 'spki' })).toBe(cert.publicKey.export({ format: 'pem', type: 'spki' }));
  });

  it('says a kept certificate no longer fits when the address moved or another CA signed it', async () => {
    const ca = await makeCa('test CA');
    const server = await issueForIp(ca, '10.1.2.3');
    expect(certFits(server.certPem, ca.certPem, '10.1.2.3')).toBe(true);
    expect(certFits(server.certPem, ca.certPem, '10.1.2.4')).toBe(false);
    expect(certFits(server.certPem, (await makeCa('another CA')).certPem, '10.1.2.3')).toBe(false);
    expect(certFits((await issueForIp(ca, '10.1.2.3', 10)).certPem, ca.certPem, '10.1.2.3')).toBe(false); // under a month left
    expect(certFits('not a certificate', ca.certPem, '10.1.2.3')).toBe(false);
  });
});
