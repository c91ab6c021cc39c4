// A user's own certificate (`certs:add`): the checks before it is stored. The input is hostile: sizes are bounded
// before anything is parsed, and each refusal says what was wrong and what to send instead.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { UserError } from '../core/index.ts';
import { certificatePem } from './der.ts';

/** A leaf and a few intermediates fit many times over; a 10 MB upload or a chain of 1,000 is refused unparsed. */
export const MAX_CERT_PEM = 64 * 1024;
export const MAX_KEY_PEM = 16 * 1024;
export const MAX_CHAIN = 8;

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';
const HINT_CHAIN = 'send the full chain as PEM: the certificate for your domain first, then its intermediates (fullchain.pem)';

export interface CheckedCert {
  /** The chain as PEM, re-encoded block by block (nothing between the blocks is kept). */
  certPem: string;
  keyPem: string;
  leaf: X509Certificate;
  /** The names the leaf is for: its DNS subject alternative names (its common name when it has none). */
  names: string[];
}

/** Parses and checks a chain and its key: PEM, sizes, order, key match, validity now. */
export function checkCustom(certPem: unknown, keyPem: unknown, now = Date.now()): CheckedCert {
  if (typeof certPem !== 'string' || !certPem.trim()) throw new UserError('no certificate given', HINT_CHAIN);
  if (typeof keyPem !== 'string' || !keyPem.trim()) throw new UserError('no private key given', 'send the private key as PEM (key.pem)');
  if (certPem.length > MAX_CERT_PEM) throw new UserError(`the certificate file is ${certPem.length} bytes; at most ${MAX_CERT_PEM} are taken`, HINT_CHAIN);
  if (keyPem.length > MAX_KEY_PEM) throw new UserError(`the key file is ${keyPem.length} bytes; at most ${MAX_KEY_PEM} are taken`, 'send only the private key, as PEM');
  const blocks = pemBlocks(certPem);
  if (blocks.length === 0) throw new UserError('the certificate is not PEM: no -----BEGIN CERTIFICATE----- block found', HINT_CHAIN);
  if (blocks.length > MAX_CHAIN) throw new UserError(`the chain has more than ${MAX_CHAIN} certificates; at most ${MAX_CHAIN} are taken`, HINT_CHAIN);
  if (/PRIVATE KEY-----/.test(certPem)) throw new UserError('the certificate file holds a private key', 'send the key with --key, the certificate chain with --cert');
  const chain = blocks.map((b, i) => {
    try {
      return new X509Certificate(Buffer.from(b, 'base64'));
    } catch {
      throw new UserError(`certificate ${i + 1} of the chain does not parse`, HINT_CHAIN);
    }
  });
  for (let i = 1; i < chain.length; i++) {
    if (!chain[i - 1]!.checkIssued(chain[i]!) || !chain[i - 1]!.verify(chain[i]!.publicKey)) {
      throw new UserError(`the chain is out of order: certificate ${i + 1} (${cn(chain[i]!)}) did not issue certificate ${i} (${cn(chain[i - 1]!)})`, HINT_CHAIN);
    }
  }
  const leaf = chain[0]!;
  const key = parseKey(keyPem);
  if (!leaf.checkPrivateKey(key)) throw new UserError(`the key does not match the certificate (${cn(leaf)})`, 'send the private key the certificate was made for');
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (to <= now) throw new UserError(`the certificate expired on ${new Date(to).toISOString()}`, 'renew it with its CA, then add the new one');
  if (from > now) throw new UserError(`the certificate is not valid before ${new Date(from).toISOString()}`, 'add it once it is valid (check this server\'s clock too)');
  const pems = blocks.map(certificatePem);
  return { certPem: pems.join(''), keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), leaf, names: namesOf(leaf) };
}

/** Each certificate block's base64, cut at the markers with indexOf (linear on any input); stops past MAX_CHAIN. */
function pemBlocks(text: string): string[] {
  const out: string[] = [];
  for (let at = text.indexOf(BEGIN); at >= 0 && out.length <= MAX_CHAIN; at = text.indexOf(BEGIN, at)) {
    const end = text.indexOf(END, at);
    const body = end < 0 ? '' : text.slice(at + BEGIN.length, end);
    if (!body.trim() || !/^[A-Za-z0-9+/=\s]+$/.test(body)) throw new UserError(`certificate ${out.length + 1} of the chain is not PEM`, HINT_CHAIN);
    out.push(body.replace(/\s+/g, ''));
    at = end + END.length;
  }
  return out;
}

function parseKey(pem: string): KeyObject {
  if (/ENCRYPTED/.test(pem)) throw new UserError('the private key is encrypted', 'decrypt it first: `openssl pkey -in key.pem -out plain.pem`');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new UserError('the private key does not parse', 'send the private key as PEM (-----BEGIN PRIVATE KEY-----)');
  }
}

/** DNS subject alternative names, lower case; the subject's CN only when there are none (RFC 6125 6.4.4). */
export function namesOf(x: X509Certificate): string[] {
  const sans = (x.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
  if (sans.length) return [...new Set(sans)];
  const c = x.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3).toLowerCase();
  return c ? [c] : [];
}

/**
 * Whether a certificate name covers a served domain: the same name, or a wildcard for exactly one label
 * (`*.example.com` covers `www.example.com`, neither `example.com` nor `a.b.example.com`; RFC 6125 6.4.3).
 * A served wildcard domain is covered only by the same wildcard.
 */
export function covers(name: string, domain: string): boolean {
  const n = name.toLowerCase();
  const d = domain.toLowerCase();
  if (n === d) return true;
  if (!n.startsWith('*.') || d.startsWith('*.')) return false;
  const dot = d.indexOf('.');
  return dot > 0 && d.slice(dot + 1) === n.slice(2);
}

function cn(x: X509Certificate): string {
  return x.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? x.subject.replace(/\n/g, ', ');
}
