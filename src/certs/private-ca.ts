// A private certificate authority of minicloud's own, and server certificates it signs for an IP address: the swarm
// registry's TLS (nodes trust the CA through /etc/docker/certs.d/<host:port>/ca.crt, no insecure-registries).
// @peculiar/x509 is loaded when a swarm's registry first needs a certificate, not at minicloud's start.
import { KeyObject, X509Certificate as NodeX509, randomBytes, webcrypto } from 'node:crypto';

let lib: Promise<typeof import('@peculiar/x509')> | null = null;
const loadX509 = () => (lib ??= import('@peculiar/x509').then((x509) => {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}));

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86400_000;

export interface CaPair { certPem: string; keyPem: string }

const serial = () => {
  const s = randomBytes(16);
  s[0]! &= 0x7f; // positive (DER INTEGER)
  return s.toString('hex');
};

function pkcs8(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A CA valid for `years` (ten by default: nodes keep trusting it for as long as the swarm lives). */
export async function makeCa(name: string, years = 10): Promise<CaPair> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=${name.replace(/[,=+<>#;"\\]/g, '')}`, keys, signingAlgorithm: ALG,
    notBefore: new Date(now - 3600_000), notAfter: new Date(now + years * 365 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pkcs8(keys.privateKey) };
}

/** A server certificate for `ip`, signed by the CA, valid for `days`. */
export async function issueForIp(ca: CaPair, ip: string, days = 825): Promise<CaPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(ca.keyPem)[0]!, ALG, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: `CN=${ip}`, issuer: caCert.subject, publicKey: keys.publicKey, signingKey: caKey, signingAlgorithm: ALG,
    notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * DAY),
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pkcs8(keys.privateKey) };
}

/** Whether `certPem` names `ip`, is signed by `caPem` and stays valid for another month (else it is made again). */
export function certFits(certPem: string, caPem: string, ip: string): boolean {
  try {
    const cert = new NodeX509(certPem);
    return cert.checkIP(ip) !== undefined && cert.verify(new NodeX509(caPem).publicKey) && Date.parse(cert.validTo) - Date.now() > 30 * DAY;
  } catch {
    return false;
  }
}
