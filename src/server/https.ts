// Wiring HTTPS: settings → issuers → Certificates, the names they may order (the route table), the router's TLS options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, type Logger } from '../core/index.ts';
import type { Config } from './config.ts';
import type { RouteTable } from '../routes/index.ts';
import type { Store } from '../store/index.ts';
import { AcmeIssuer, Certificates, SelfSignedIssuer, type CertificatesOptions, type OrderOutcome, type ServedName } from '../certs/index.ts';

const ACME_OFF = "ACME is off: set MINICLOUD_ACME_EMAIL to get certificates from Let's Encrypt; until then every name is served with a self-signed certificate";

/** Loads the stored certificates and plans orders; call sync() whenever the route table changes. */
export interface CertHooks {
  /** A certificate was stored or made: the router daemon is sent the set again. */
  onChange: () => void;
  /** The ACME tokens in play changed: the router daemon must answer them before the CA asks. */
  onTokens: (tokens: Record<string, string>) => Promise<void>;
  /** An order ended (the alerts). */
  onOrder?: (o: OrderOutcome) => void;
  /** A custom certificate's expiry checked (the alerts). */
  onCustomExpiry?: CertificatesOptions['onCustomExpiry'];
}

export async function startCertificates(cfg: Config, dir: string, table: RouteTable, store: Store, log: Logger, hooks?: CertHooks): Promise<Certificates> {
  const h = cfg.https;
  const acme = h.acmeDirectory ? new AcmeIssuer({
    directory: h.acmeDirectory, email: h.acmeEmail, accountKeyFile: join(dir, '_acme', 'account.key'),
    caBundle: h.acmeCaBundle ? readBundle(h.acmeCaBundle) : undefined, selfCheck: h.acmeSelfCheck, pollMs: h.acmePollMs, onTokens: hooks?.onTokens,
  }) : null;
  // What the router serves, read from its table: the renewer orders nothing else, and asks again before each order.
  const served = (): ServedName[] => table.routes().flatMap((r) => {
    const app = store.apps.get(r.app);
    return r.hosts.map((domain) => ({
      domain, app: r.app, isDefault: domain === `${r.app}.${cfg.domain}`,
      // Routes that are not apps (the dashboard's admin.<domain>) are live from the start.
      deployed: app ? app.currentRelease !== null : true,
    }));
  });
  const certs = new Certificates({
    dir, acme, directory: h.acmeDirectory, acmeOff: ACME_OFF, selfSigned: new SelfSignedIssuer(), served, log, retryMinMs: h.acmeRetryMinMs, onChange: hooks?.onChange, onOrder: hooks?.onOrder, onCustomExpiry: hooks?.onCustomExpiry,
  });
  await certs.start();
  return certs;
}

/** One line for the start-up banner. */
export function httpsBanner(cfg: Config, port: number | null): string {
  if (port === null) return 'HTTPS is off (MINICLOUD_HTTPS_PORT=off)';
  const via = cfg.https.acmeDirectory ? `certificates from ${cfg.https.acmeDirectory}` : 'self-signed certificates (set MINICLOUD_ACME_EMAIL for Let\'s Encrypt)';
  return `HTTPS on port ${port}, ${via}`;
}

function readBundle(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`MINICLOUD_ACME_CA_BUNDLE=${file} cannot be read: ${(e as Error).message}`, 'point it at a PEM file of CA certificates');
  }
}
