// certs: the CertIssuer seam (ACME, self-signed) and the metadata kept with each certificate.

/** A certificate chain (leaf first) and its private key, both PEM. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

export interface CertIssuer {
  /** Stored with each certificate, so a restart knows which ones still need a CA. */
  readonly kind: 'acme' | 'self-signed';
  /** A certificate for one name (`*.example.com` too, if the issuer can). */
  issue(domain: string): Promise<IssuedCert>;
}

/** The CA refused for now (HTTP 429 / `rateLimited`); no order may go out before `retryAt`. */
export class RateLimitedError extends Error {
  constructor(message: string, readonly retryAt: Date) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** What `<data>/certs/<domain>/meta.json` holds beside cert.pem and key.pem. */
export interface CertMeta {
  domain: string;
  /** Who made the certificate on disk; absent when none was ever made (a failure record only). `custom`: a user's own (`certs:add`). */
  kind?: 'acme' | 'self-signed' | 'custom';
  /** A custom certificate's app (only that app's name is served with it) and the names it is for. */
  app?: string;
  names?: string[];
  /** The ACME directory an `acme` certificate came from: switching (staging → production) reorders. */
  directory?: string;
  serial?: string;
  /** The issuer's common name (or organization), for `minicloud certs`. */
  issuer?: string;
  notBefore?: string;
  notAfter?: string;
  /** Orders that failed in a row since the last success. */
  failures: number;
  lastError: string | null;
  /** When the last order ended. */
  lastAttempt: string | null;
  /** No order before this (backoff after a failure, or the CA's Retry-After). */
  nextAttempt: string | null;
  /** The CA itself said to wait until `nextAttempt`: not even a forced renewal goes out earlier. */
  rateLimited?: boolean;
}

/** A host name the router serves, as the renewer sees it. */
export interface ServedName {
  domain: string;
  app: string;
  /** `<app>.<MINICLOUD_DOMAIN>`: ordered only once the app has been deployed. */
  isDefault: boolean;
  /** The app has a current release. */
  deployed: boolean;
}
