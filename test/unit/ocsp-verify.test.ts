// The router's check of an OCSP answer (proxy/ocsp/verify.ts) before it is stapled, on answers made here (a CA, a
// leaf naming a responder, delegated responders with and without the OCSP-signing purpose) for the cases a live
// responder rarely shows: out of date, dated ahead, "unknown", an error status, a delegate the issuer did not make
// for OCSP. The usual ones (good, revoked, a stranger's signature, another serial, garbage) run against `openssl ocsp`
// in test/integration/router-ocsp.test.ts.
import { KeyObject, sign, webcrypto } from 'node:crypto';
import { BasicOCSPResponse, CertStatus, OCSPRequest, OCSPResponse, OCSPResponseStatus, ResponderID, ResponseBytes, ResponseData, RevokedInfo, SingleResponse, id_pkix_ocsp_basic } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Name } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { beforeAll, expect, it } from 'vitest';
import { requestDer, subjectOf, type Subject } from '../../proxy/ocsp/request.ts';
import { checkResponse } from '../../proxy/ocsp/verify.ts';
import { namesResponder } from '../../proxy/ocsp/lazy.ts';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3600_000;
interface Made { cert: x509.X509Certificate; keys: CryptoKeyPair }
let ca: Made;
let delegate: Made;
let notForOcsp: Made;
let subject: Subject;

async function make(cn: string, issuer: Made | null, extensions: x509.Extension[], serial: string): Promise<Made> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial, subject: `CN=${cn}`, issuer: issuer ? issuer.cert.subject : `CN=${cn}`,
    notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 48 * HOUR),
    signingAlgorithm: ALG, publicKey: keys.publicKey, signingKey: (issuer ?? { keys }).keys.privateKey, extensions,
  });
  return { cert, keys };
}

beforeAll(async () => {
  ca = await make('unit CA', null, [new x509.BasicConstraintsExtension(true, undefined, true)], '01');
  const leaf = await make('leaf.unit.test', ca, [new x509.AuthorityInfoAccessExtension({ ocsp: 'http://127.0.0.1:9/' })], '0a0b0c');
  delegate = await make('unit OCSP responder', ca, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning])], '02');
  notForOcsp = await make('unit web server', ca, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])], '03');
  const s = subjectOf(leaf.cert.toString('pem') + '\n' + ca.cert.toString('pem'));
  if (typeof s === 'string') throw new Error(s);
  subject = s;
});

/** An answer about the leaf, signed by `signer` (the CA by default), carrying `certs`. */
function answer(o: { status?: 'good' | 'revoked' | 'unknown'; thisUpdate?: number; nextUpdate?: number | null; signer?: Made; certs?: Made[]; responseStatus?: OCSPResponseStatus } = {}): Buffer {
  if (o.responseStatus !== undefined) return Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: o.responseStatus })));
  const certID = AsnConvert.parse(requestDer(subject), OCSPRequest).tbsRequest.requestList[0]!.reqCert;
  const status = o.status ?? 'good';
  const single = new SingleResponse({
    certID,
    certStatus: new CertStatus(status === 'good' ? { good: null } : status === 'revoked' ? { revoked: new RevokedInfo({ revocationTime: new Date(Date.now() - HOUR) }) } : { unknown: null }),
    thisUpdate: new Date(o.thisUpdate ?? Date.now() - 60_000),
    ...(o.nextUpdate !== null && { nextUpdate: new Date(o.nextUpdate ?? Date.now() + 24 * HOUR) }),
  });
  const signer = o.signer ?? ca;
  const tbs = new ResponseData({ responderID: new ResponderID({ byName: AsnConvert.parse(signer.cert.subjectName.toArrayBuffer(), Name) }), producedAt: new Date(), responses: [single] });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), KeyObject.from(signer.keys.privateKey));
  const basic = new BasicOCSPResponse({
    tbsResponseData: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), signature: new Uint8Array(signature).buffer,
    ...(o.certs && { certs: o.certs.map((c) => AsnConvert.parse(c.cert.rawData, Certificate)) }),
  });
  const bytes = new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) });
  return Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: OCSPResponseStatus.successful, responseBytes: bytes })));
}

it('takes a good or revoked answer signed by the issuer, current until its nextUpdate', () => {
  const next = Date.now() + 24 * HOUR;
  const good = checkResponse(answer({ nextUpdate: next }), subject);
  expect(good.status).toBe('good');
  expect(Math.abs(good.expires - next)).toBeLessThan(1000);
  expect(checkResponse(answer({ status: 'revoked' }), subject).status).toBe('revoked');
});

it('takes one signed by a responder the issuer delegated for OCSP signing, and refuses one the issuer made for something else', () => {
  expect(checkResponse(answer({ signer: delegate, certs: [delegate] }), subject).status).toBe('good');
  expect(() => checkResponse(answer({ signer: notForOcsp, certs: [notForOcsp] }), subject)).toThrow(/not signed by the certificate's issuer or a responder it delegated/);
  // A delegate's signature without its certificate in the answer: nothing says who signed.
  expect(() => checkResponse(answer({ signer: delegate }), subject)).toThrow(/not signed by/);
});

it('refuses an answer out of date, or dated ahead of this clock by more than a few minutes', () => {
  expect(() => checkResponse(answer({ thisUpdate: Date.now() - 48 * HOUR, nextUpdate: Date.now() - HOUR }), subject)).toThrow(/out of date/);
  expect(() => checkResponse(answer({ thisUpdate: Date.now() + HOUR }), subject)).toThrow(/dated in the future/);
  expect(checkResponse(answer({ thisUpdate: Date.now() + 60_000 }), subject).status).toBe('good'); // a minute of skew
  // No nextUpdate: held an hour after its thisUpdate at most.
  expect(() => checkResponse(answer({ thisUpdate: Date.now() - 2 * HOUR, nextUpdate: null }), subject)).toThrow(/out of date/);
  expect(checkResponse(answer({ nextUpdate: null }), subject).expires).toBeLessThanOrEqual(Date.now() + HOUR);
});

it('refuses "unknown", an error status, and a signature over other bytes', () => {
  expect(() => checkResponse(answer({ status: 'unknown' }), subject)).toThrow(/status unknown/);
  expect(() => checkResponse(answer({ responseStatus: OCSPResponseStatus.tryLater }), subject)).toThrow(/answered "tryLater"/);
  const der = answer();
  const tbs = Buffer.from(AsnConvert.parse(AsnConvert.parse(der, OCSPResponse).responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseDataRaw!);
  const tampered = Buffer.from(der);
  // The signed data ends with nextUpdate's time: its last digit (before the Z) changed, the same length.
  const at = der.indexOf(tbs) + tbs.length - 2;
  tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
  expect(() => checkResponse(tampered, subject)).toThrow(/not signed by/);
});

it('tells a certificate naming a responder from one naming none, without loading the stapler (lazy.ts)', async () => {
  const withAia = await make('aia.unit.test', ca, [new x509.AuthorityInfoAccessExtension({ ocsp: 'http://127.0.0.1:9/', caIssuers: 'http://127.0.0.1:9/ca' })], '0d');
  const without = await make('plain.unit.test', ca, [], '0e');
  expect(namesResponder(withAia.cert.toString('pem') + '\n' + ca.cert.toString('pem'))).toBe(true);
  expect(namesResponder(without.cert.toString('pem'))).toBe(false);
  expect(namesResponder('not a certificate')).toBe(false);
  expect(namesResponder('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBe(false);
  // A caIssuers URL alone names no responder.
  const issuersOnly = await make('issuers.unit.test', ca, [new x509.AuthorityInfoAccessExtension({ caIssuers: 'http://127.0.0.1:9/ca' })], '0f');
  expect(namesResponder(issuersOnly.cert.toString('pem'))).toBe(false);
});
