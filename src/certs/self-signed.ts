// The self-signed issuer: a certificate made here, offline, so HTTPS answers before (or without) a CA. Written with
// node:crypto and der.ts: an ECDSA P-256 key, the name as CN with minicloud's O, the name as the one SAN, not a CA,
// for TLS servers (RFC 5280 fields, signed with ecdsa-with-SHA256).
import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { bits, bool, certificatePem, explicit, octets, oid, seq, set, time, tlv, uint, utf8 } from './der.ts';
import type { CertIssuer, IssuedCert } from './types.ts';

/** The organization of every self-signed certificate: how `minicloud certs` and tests recognise one. */
export const SELF_SIGNED_ORG = 'minicloud self-signed';

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export class SelfSignedIssuer implements CertIssuer {
  readonly kind = 'self-signed' as const;

  /** @param validDays how long each certificate is valid; a year, renewed like any other. */
  constructor(private readonly validDays = 365) {}

  async issue(domain: string): Promise<IssuedCert> {
    const { publicKey, privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' }) as { publicKey: KeyObject; privateKey: KeyObject };
    const now = Date.now();
    const name = seq(set(seq(oid('2.5.4.3'), utf8(domain))), set(seq(oid('2.5.4.10'), utf8(SELF_SIGNED_ORG))));
    const tbs = seq(
      explicit(0, uint(Buffer.from([2]))), // v3
      uint(Buffer.concat([Buffer.from([0x40 | (randomBytes(1)[0]! & 0x3f)]), randomBytes(15)])), // positive, 126 random bits
      ECDSA_SHA256,
      name,
      // An hour back, for clients whose clock is a little behind.
      seq(time(new Date(now - 3600_000)), time(new Date(now + this.validDays * 86400_000))),
      name,
      publicKey.export({ type: 'spki', format: 'der' }),
      explicit(3, seq(
        extension('2.5.29.17', false, seq(tlv(0x82, Buffer.from(domain, 'ascii')))), // subjectAltName: dNSName
        extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
      )),
    );
    const cert = seq(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, privateKey)));
    return {
      certPem: certificatePem(cert.toString('base64')),
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    };
  }
}
