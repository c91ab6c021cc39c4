// certs: certificates for every name the router serves, from an ACME CA or self-signed.
export { Certificates, CUSTOM_WARN_MS, type CertificatesOptions } from './certificates.ts';
export { AcmeIssuer, type AcmeOptions } from './acme.ts';
export { SelfSignedIssuer, SELF_SIGNED_ORG } from './self-signed.ts';
export { CertStore } from './cert-store.ts';
export { checkCustom, covers, MAX_CERT_PEM, MAX_KEY_PEM, MAX_CHAIN } from './custom-check.ts';
export { Renewer, backoffMs, dueAt, notOrderable, type OrderOutcome } from './renewer.ts';
export { RateLimitedError, type CertIssuer, type CertMeta, type IssuedCert, type ServedName } from './types.ts';
export { certFits, issueForIp, makeCa, type CaPair } from './private-ca.ts';
