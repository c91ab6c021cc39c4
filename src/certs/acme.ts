// The ACME issuer (acme-client, HTTP-01): orders one name at a time; the router answers the challenges. acme-client
// (with axios and node-forge: ~8 MB of heap) is loaded at the first order, not when minicloud starts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type acme from 'acme-client';
import { RateLimitedError, type CertIssuer, type IssuedCert } from './types.ts';

export interface AcmeOptions {
  directory: string;
  /** The account's contact; null registers without one (a private CA may allow it). */
  email: string | null;
  /** Where the account key lives (created on first use, mode 0600). */
  accountKeyFile: string;
  /** Extra CA certificates (PEM) trusted for the directory's HTTPS, beside the system's. */
  caBundle?: string;
  /**
   * Before asking the CA to validate, fetch the challenge ourselves from port 80 of the name, as the CA
   * will: a name whose DNS does not point here then fails here, without spending the CA's failure quota.
   */
  selfCheck: boolean;
  /** First delay between polls of a pending order (doubles up to 30 s). */
  pollMs: number;
  /** Told every change of the tokens in play, and awaited: the router (its own process) must answer them before the CA asks. */
  onTokens?: (tokens: Record<string, string>) => Promise<void>;
}

const RATE_LIMITED = 'urn:ietf:params:acme:error:rateLimited';
const HOUR = 3600_000;
type AcmeModule = typeof acme;

export class AcmeIssuer implements CertIssuer {
  readonly kind = 'acme' as const;
  private readonly tokens = new Map<string, string>();
  private client: acme.Client | null = null;
  /** The last rate-limit answer seen during the current order (orders run one at a time). */
  private limited: { detail: string; retryAt: Date } | null = null;
  private lib: Promise<AcmeModule> | null = null;

  constructor(private readonly o: AcmeOptions) {}

  /** acme-client, loaded once and its HTTP client set up for this issuer. */
  private load(): Promise<AcmeModule> {
    return (this.lib ??= import('acme-client').then(({ default: lib }) => { this.setUp(lib); return lib; }));
  }

  private setUp(lib: AcmeModule): void {
    const { o } = this;
    const ax = lib.axios;
    // No request may hang the (single) order queue.
    ax.defaults.timeout = 30_000;
    // acme-client would sleep through a 429's Retry-After (hours, for Let's Encrypt) inside the
    // request, holding the queue; the renewer waits instead, without a request open.
    (ax.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
    if (o.caBundle) ax.defaults.httpsAgent = new https.Agent({ ca: [...rootCertificates, o.caBundle], keepAlive: true });
    ax.interceptors.response.use((res) => {
      const type = (res.data as { type?: unknown } | undefined)?.type;
      if (res.status === 429 || type === RATE_LIMITED) {
        const detail = String((res.data as { detail?: unknown } | undefined)?.detail ?? `HTTP ${res.status}`);
        this.limited = { detail, retryAt: retryAfter(res.headers['retry-after']) };
      }
      return res;
    });
  }

  /** The key authorization for an HTTP-01 token of an order in progress, else null. */
  challenge(token: string): string | null {
    return this.tokens.get(token) ?? null;
  }

  async issue(domain: string): Promise<IssuedCert> {
    if (domain.startsWith('*.')) throw new Error('HTTP-01 cannot validate a wildcard name');
    const acme = await this.load();
    const client = (this.client ??= new acme.Client({
      directoryUrl: this.o.directory,
      accountKey: await this.accountKey(acme),
      backoffMin: this.o.pollMs,
      backoffMax: Math.max(this.o.pollMs, 30_000),
    }));
    const key = await acme.crypto.createPrivateEcdsaKey();
    const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
    this.limited = null;
    try {
      const certPem = await client.auto({
        csr,
        email: this.o.email ?? undefined,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        skipChallengeVerification: !this.o.selfCheck,
        challengeCreateFn: async (_authz, ch, keyAuthorization) => {
          this.tokens.set(ch.token, keyAuthorization);
          await this.o.onTokens?.(Object.fromEntries(this.tokens));
        },
        challengeRemoveFn: async (_authz, ch) => {
          this.tokens.delete(ch.token);
          await this.o.onTokens?.(Object.fromEntries(this.tokens)).catch(() => {});
        },
      });
      return { certPem, keyPem: key.toString() };
    } catch (e) {
      // Set by the response interceptor during the order (TypeScript cannot see that).
      const limited = this.limited as { detail: string; retryAt: Date } | null;
      if (limited) throw new RateLimitedError(`rate limited by the CA: ${limited.detail}`, limited.retryAt);
      // A client that failed mid-way may hold a stale account URL or nonce; the next order starts clean.
      this.client = null;
      throw e;
    }
  }

  /** The account key, made once (ECDSA P-256) before the first order. */
  private async accountKey(acme: AcmeModule): Promise<string> {
    const file = this.o.accountKeyFile;
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, await acme.crypto.createPrivateEcdsaKey(), { mode: 0o600 });
    }
    return readFileSync(file, 'utf8');
  }
}

/** Retry-After as seconds or an HTTP date; an hour when absent or unreadable. */
function retryAfter(header: unknown): Date {
  const raw = typeof header === 'string' ? header.trim() : '';
  if (/^\d+$/.test(raw)) return new Date(Date.now() + Number(raw) * 1000);
  const at = Date.parse(raw);
  return new Date(Number.isFinite(at) ? at : Date.now() + HOUR);
}
