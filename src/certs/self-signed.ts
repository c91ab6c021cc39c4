// The self-signed issuer: a certificate made here, offline, so HTTPS answers before (or without) a CA.
// @peculiar/x509 (with its ASN.1 schemas: ~3 MB of heap) is loaded at the first certificate made, not at start.
import { randomBytes, webcrypto } from 'node:crypto';
import type { CertIssuer, IssuedCert } from './types.ts';

let lib: Promise<typeof import('@peculiar/x509')> | null = null;
const loadX509 = () => (lib ??= import('@peculiar/x509').then((x509) => {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}));

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** The organization of every self-signed certificate: how `minicloud certs` and tests recognise one. */
export const SELF_SIGNED_ORG = 'minicloud self-signed';

export class SelfSignedIssuer implements CertIssuer {
  readonly kind = 'self-signed' as const;

  /** @param validDays how long each certificate is valid; a year, renewed like any other. */
  constructor(private readonly validDays = 365) {}

  async issue(domain: string): Promise<IssuedCert> {
    const x509 = await loadX509();
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const now = Date.now();
    // Positive serial: the top bit of the first byte cleared (DER INTEGER).
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    const cn = domain.replace(/[,=+<>#;"\\]/g, '');
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial.toString('hex'),
      name: `CN=${cn}, O=${SELF_SIGNED_ORG}`,
      // An hour back, for clients whose clock is a little behind.
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + this.validDays * 86400_000),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certPem: cert.toString('pem') + '\n', keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n' };
  }
}
