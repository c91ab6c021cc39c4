// What an OCSP question about one certificate is (RFC 6960 §4.1): the certificate's CertID (its issuer's name and key
// hashed, and its serial), the responder its Authority Information Access names, and the request's DER.
import { createHash, X509Certificate } from 'node:crypto';
import { CertID, OCSPRequest, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, AuthorityInfoAccessSyntax, Certificate, id_ad_ocsp, id_pe_authorityInfoAccess } from '@peculiar/asn1-x509';

const SHA1 = '1.3.14.3.2.26';
const SHA256 = '2.16.840.1.101.3.4.2.1';
const HASHES: Record<string, string> = { [SHA1]: 'sha1', [SHA256]: 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };

/** A certificate to ask about: parsed once, with what the question and the answer's checks need. */
export interface Subject {
  /** The leaf's DER and its SHA-256 (hex): how workers find the staple of the certificate a handshake serves. */
  der: Buffer;
  fingerprint: string;
  leaf: X509Certificate;
  issuer: X509Certificate;
  /** The leaf's serial, as its DER INTEGER's bytes without leading zeros. */
  serial: Buffer;
  /** The issuer's subject Name (DER) and subjectPublicKey (the BIT STRING's bits), as CertID hashes them. */
  issuerName: Buffer;
  issuerKey: Buffer;
  /** The responder (the first http URL of the AIA's OCSP entries). */
  url: string;
  /** The leaf's notAfter: no answer is asked for an expired certificate. */
  notAfter: number;
}

/** Every certificate of a PEM chain, leaf first. */
export function chainOf(pem: string): X509Certificate[] {
  // Cut at the markers with indexOf, not a lazy regex (the ReDoS check cannot bound `[\s\S]+?` over a long chain).
  const BEGIN = '-----BEGIN CERTIFICATE-----';
  const END = '-----END CERTIFICATE-----';
  const certs: X509Certificate[] = [];
  for (let at = pem.indexOf(BEGIN); at !== -1; at = pem.indexOf(BEGIN, at)) {
    const end = pem.indexOf(END, at + BEGIN.length);
    if (end === -1) break;
    certs.push(new X509Certificate(pem.slice(at, end + END.length)));
    at = end + END.length;
  }
  return certs;
}

export const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('hex');

/**
 * What to ask about the chain's leaf, or why nothing can be asked: no OCSP URL in it (Let's Encrypt's since 2025, a
 * self-signed one), or its issuer not in the chain (the chain must carry it; it signs or delegates the answers).
 */
export function subjectOf(certPem: string): Subject | string {
  const chain = chainOf(certPem);
  const leaf = chain[0];
  if (!leaf) return 'no certificate';
  const url = ocspUrl(leaf);
  if (!url) return 'its certificate names no OCSP responder';
  const issuer = chain.slice(1).find((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey));
  if (!issuer) return 'its chain does not carry its issuer\'s certificate';
  const parsedLeaf = AsnConvert.parse(leaf.raw, Certificate);
  const parsedIssuer = AsnConvert.parse(issuer.raw, Certificate);
  return {
    der: leaf.raw, fingerprint: sha256(leaf.raw), leaf, issuer, url,
    serial: unsigned(parsedLeaf.tbsCertificate.serialNumber),
    issuerName: Buffer.from(AsnConvert.serialize(parsedIssuer.tbsCertificate.subject)),
    issuerKey: Buffer.from(parsedIssuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
    notAfter: Date.parse(leaf.validTo),
  };
}

/** The first plain-HTTP OCSP URL of a certificate's Authority Information Access, if any. */
export function ocspUrl(cert: X509Certificate): string | null {
  const parsed = AsnConvert.parse(cert.raw, Certificate);
  const ext = parsed.tbsCertificate.extensions?.find((e) => e.extnID === id_pe_authorityInfoAccess);
  if (!ext) return null;
  const aia = AsnConvert.parse(ext.extnValue, AuthorityInfoAccessSyntax);
  for (const d of aia) {
    const uri = d.accessMethod === id_ad_ocsp ? d.accessLocation.uniformResourceIdentifier : undefined;
    // http only: OCSP over HTTPS would need a TLS handshake checked against revocation in turn (RFC 6960 appendix A).
    if (uri && /^http:\/\/[^\s]+$/i.test(uri)) return uri;
  }
  return null;
}

/** The request's DER: one CertID (SHA-1, as RFC 5019's lightweight profile and every CA's responder take), no nonce, unsigned. */
export function requestDer(s: Subject): Buffer {
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: new OctetString(hash('sha1', s.issuerName)),
    issuerKeyHash: new OctetString(hash('sha1', s.issuerKey)),
    serialNumber: withSign(s.serial),
  });
  const req = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certId })] }) });
  return Buffer.from(AsnConvert.serialize(req));
}

/** Whether a response's CertID names this certificate (its hash algorithm the response's own choice). */
export function sameCert(id: CertID, s: Subject): boolean {
  const alg = HASHES[id.hashAlgorithm.algorithm];
  if (!alg) return false;
  return unsigned(id.serialNumber).equals(s.serial)
    && Buffer.from(id.issuerNameHash.buffer).equals(hash(alg, s.issuerName))
    && Buffer.from(id.issuerKeyHash.buffer).equals(hash(alg, s.issuerKey));
}

const hash = (alg: string, data: Buffer) => createHash(alg).update(data).digest();

/** An INTEGER's bytes without its leading zero octets, so two encodings of one serial compare equal. */
function unsigned(b: ArrayBuffer): Buffer {
  const buf = Buffer.from(b);
  let i = 0;
  while (i < buf.length - 1 && buf[i] === 0) i++;
  return buf.subarray(i);
}

/** Serials are positive: a leading zero octet where the top bit is set, as DER wants it. */
function withSign(b: Buffer): ArrayBuffer {
  const out = b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer;
}
