// An OCSP responder's answer, checked before any client sees it (RFC 6960 §3.2): a basic response, signed by the
// certificate's issuer or by a responder the issuer delegated (its certificate issued by the issuer, for OCSP
// signing), about this very certificate, current (thisUpdate not ahead of us, nextUpdate not behind), and good or
// revoked. Anything else (garbage, another serial, a stranger's signature, "unknown", an error status) is refused.
import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { BasicOCSPResponse, id_kp_OCSPSigning, id_pkix_ocsp_basic, OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { sameCert, type Subject } from './request.ts';

/** A checked answer, ready to staple. */
export interface Checked {
  der: Buffer;
  status: 'good' | 'revoked';
  thisUpdate: number;
  /** When it stops being current: its nextUpdate, or an hour after thisUpdate when it names none. */
  expires: number;
}

// Clocks differ: an answer made "a little in the future" by the responder's clock is still taken.
const SKEW_MS = 5 * 60_000;
// RFC 5019 makes nextUpdate mandatory; an answer without it is held for an hour at most.
const NO_NEXT_UPDATE_MS = 3600_000;

// Signature algorithms by OID: the digest to verify with (null: the key's own, Ed25519/Ed448).
const SIGNATURES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, '1.3.101.113': null,
};

/** The answer checked for `s` at `now`; throws saying what was wrong with it. */
export function checkResponse(der: Buffer, s: Subject, now = Date.now()): Checked {
  const basic = basicOf(der);
  const tbs = basic.tbsResponseDataRaw;
  if (!tbs) throw new Error('the response has no signed data');
  const digest = SIGNATURES[basic.signatureAlgorithm.algorithm];
  if (digest === undefined) throw new Error(`the response is signed with an algorithm minicloud does not check (${basic.signatureAlgorithm.algorithm})`);
  const signed = (key: KeyObject) => {
    try {
      return verifySignature(digest, Buffer.from(tbs), key, Buffer.from(basic.signature));
    } catch {
      return false;
    }
  };
  if (!signed(s.issuer.publicKey) && !delegates(basic, s, now).some((c) => signed(c.publicKey))) {
    throw new Error('the response is not signed by the certificate\'s issuer or a responder it delegated');
  }
  const single = basic.tbsResponseData.responses.find((r) => sameCert(r.certID, s));
  if (!single) throw new Error('the response is about another certificate (serial or issuer differ)');
  const thisUpdate = single.thisUpdate.getTime();
  const expires = single.nextUpdate?.getTime() ?? thisUpdate + NO_NEXT_UPDATE_MS;
  if (thisUpdate > now + SKEW_MS) throw new Error(`the response is dated in the future (thisUpdate ${single.thisUpdate.toISOString()})`);
  if (expires <= now) throw new Error(`the response is out of date (nextUpdate ${new Date(expires).toISOString()})`);
  const st = single.certStatus;
  if (st.unknown !== undefined || (st.good === undefined && st.revoked === undefined)) throw new Error('the responder does not know the certificate (status unknown)');
  return { der, status: st.revoked ? 'revoked' : 'good', thisUpdate, expires };
}

function basicOf(der: Buffer): BasicOCSPResponse {
  let res: OCSPResponse;
  try {
    res = AsnConvert.parse(der, OCSPResponse);
  } catch {
    throw new Error('the responder\'s answer is not an OCSP response');
  }
  if (res.responseStatus !== OCSPResponseStatus.successful) throw new Error(`the responder answered "${OCSPResponseStatus[res.responseStatus] ?? res.responseStatus}"`);
  if (res.responseBytes?.responseType !== id_pkix_ocsp_basic) throw new Error('the responder\'s answer is not a basic OCSP response');
  try {
    return AsnConvert.parse(res.responseBytes.response.buffer, BasicOCSPResponse);
  } catch {
    throw new Error('the responder\'s basic OCSP response does not parse');
  }
}

/** The response's certificates that may sign for the issuer: issued and signed by it, for OCSP signing, valid now. */
function delegates(basic: BasicOCSPResponse, s: Subject, now: number): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const c of basic.certs ?? []) {
    try {
      const x = new X509Certificate(Buffer.from(AsnConvert.serialize(c)));
      const current = Date.parse(x.validFrom) <= now + SKEW_MS && Date.parse(x.validTo) > now;
      // keyUsage is Node's name for the extended key usages.
      if (current && x.checkIssued(s.issuer) && x.verify(s.issuer.publicKey) && (x.keyUsage ?? []).includes(id_kp_OCSPSigning)) out.push(x);
    } catch {
      // an unreadable certificate delegates nothing
    }
  }
  return out;
}
