// The stapler loaded on first need: its ASN.1 schemas (@peculiar/asn1-*, about 2 MB of the primary's heap) are read
// only once a served certificate names an OCSP responder, which most never do (Let's Encrypt's no longer do since
// 2025, self-signed ones never).
import { X509Certificate } from 'node:crypto';
import type { Stapler, StaplerOptions, Staples } from './stapler.ts';

export class LazyStapler {
  private real: Stapler | null = null;
  private loading: Promise<void> | null = null;
  private latest: Record<string, string> = {};

  constructor(private readonly o: StaplerOptions) {}

  /** As Stapler.track; resolves once the stapler (if one was needed) has what it was given. */
  track(byName: Record<string, string>): Promise<void> {
    this.latest = byName;
    if (this.real) return Promise.resolve(this.real.track(byName));
    if (!Object.values(byName).some(namesResponder)) return this.loading ?? Promise.resolve();
    this.loading ??= import('./stapler.ts').then(({ Stapler: Real }) => {
      this.real = new Real(this.o);
      this.real.track(this.latest);
    });
    return this.loading;
  }

  staples(): Staples {
    return this.real?.staples() ?? {};
  }

  stop(): void {
    this.real?.stop();
  }
}

/** Whether a chain's first certificate names an OCSP responder (node:crypto's reading of its Authority Information Access). */
export function namesResponder(pem: string): boolean {
  const end = pem.indexOf('-----END CERTIFICATE-----');
  if (end === -1) return false;
  try {
    return (new X509Certificate(pem.slice(0, end + 25)).infoAccess ?? '').includes('OCSP - URI:');
  } catch {
    return false; // a chain that does not parse serves the fallback: nothing to ask
  }
}
