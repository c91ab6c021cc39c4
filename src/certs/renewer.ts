// The renewer: which served name needs a CA certificate next; orders them one at a time, with backoff after failures.
import type { Logger } from '../core/index.ts';
import { RateLimitedError, type CertIssuer, type CertMeta, type IssuedCert, type ServedName } from './types.ts';

export const DAY = 86400_000;

export interface RenewerOptions {
  issuer: CertIssuer;
  /** The ACME directory URL, stored with each certificate. */
  directory: string;
  /** The names the router serves now; asked again right before every order. */
  served: () => ServedName[];
  /** A name's current metadata (an empty record when it has none). */
  meta: (domain: string) => CertMeta;
  /** Persists an order's outcome: the new certificate, or only the failure. */
  save: (meta: CertMeta, cert?: IssuedCert) => CertMeta;
  log: Logger;
  /** Wait after a first failure; doubles per failure in a row, up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Renew when less than this is left. */
  renewBeforeMs: number;
  /** Told every order's outcome (the alerts: a renewal failing, then succeeding again). */
  ordered?: (o: OrderOutcome) => void;
}

/** How one order ended: `served` is the certificate served before it (a CA's or not), `meta` what is stored now. */
export interface OrderOutcome { name: ServedName; ok: boolean; served: CertMeta; meta: CertMeta }

/** Why a served name gets no CA certificate (a self-signed one serves it); null when it should get one. */
export function notOrderable(n: ServedName): string | null {
  if (n.domain.startsWith('*.')) {
    return 'a wildcard needs the DNS-01 challenge, which minicloud does not do; add each name (e.g. www.example.com) as a domain to get a CA certificate for it';
  }
  if (n.domain === 'localhost' || n.domain.endsWith('.localhost')) return 'no public CA issues certificates for localhost names';
  if (n.isDefault && !n.deployed) return 'ordered after the first successful deploy';
  return null;
}

/**
 * When a name's next order is due (ms since the epoch): now when it has no CA certificate from this
 * directory, else 30 days before expiry, or with the last third of its life left when it lives less than
 * 90 days (a short-lived certificate would otherwise be reordered at once, over and over); never before a
 * failure's backoff ends. A forced renewal is due now, unless the CA rate-limited the name: its Retry-After
 * holds even then.
 */
export function dueAt(meta: CertMeta, directory: string, renewBeforeMs: number, forced = false): number {
  const wait = meta.nextAttempt ? Date.parse(meta.nextAttempt) : 0;
  if (meta.kind === 'custom') return Infinity; // a user's own certificate: never ordered over (the alerts warn before it expires)
  if (forced) return meta.rateLimited ? wait : 0;
  if (meta.kind !== 'acme' || meta.directory !== directory || !meta.notAfter) return wait;
  const end = Date.parse(meta.notAfter);
  const life = meta.notBefore ? end - Date.parse(meta.notBefore) : Infinity;
  return Math.max(end - Math.min(renewBeforeMs, life / 3), wait);
}

/** The wait after `failures` failed orders in a row. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(minMs * 2 ** Math.max(0, failures - 1), maxMs);
}

// A timer never sleeps longer than this, so a clock jump or a long renewal horizon is re-checked.
const MAX_SLEEP = 3600_000;

export class Renewer {
  /** The name being ordered right now, if any. */
  busy: string | null = null;
  private readonly forced = new Set<string>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: RenewerOptions) {}

  /** Plans again (served names changed): orders what is due now, sleeps until the next one. */
  kick(): void {
    if (this.running) this.again = true;
    else void this.pump();
  }

  /** Orders these names now (backoff aside, not a CA's rate limit); resolves when each was tried or dropped. */
  force(domains: string[]): Promise<void> {
    const done = domains.map((d) => new Promise<void>((resolve) => {
      this.forced.add(d);
      this.waiters.set(d, [...(this.waiters.get(d) ?? []), resolve]);
    }));
    this.kick();
    return Promise.all(done).then(() => undefined);
  }

  /** When the name's next order is due, for `minicloud certs`; null when it gets none. */
  nextAttempt(n: ServedName): number | null {
    if (notOrderable(n)) return null;
    return dueAt(this.o.meta(n.domain), this.o.directory, this.o.renewBeforeMs, this.forced.has(n.domain));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const d of [...this.waiters.keys()]) this.settle(d);
  }

  private async pump(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      do {
        this.again = false;
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        const next = this.pick();
        if (!next) break;
        if (next.at > Date.now()) {
          this.timer = setTimeout(() => this.kick(), Math.min(next.at - Date.now(), MAX_SLEEP));
          this.timer.unref();
          continue; // loops only when kicked meanwhile
        }
        await this.order(next.domain);
        this.again = true;
      } while (this.again && !this.stopped);
    } catch (e) {
      this.o.log.error('renewer:', e);
    } finally {
      this.running = false;
    }
  }

  /** The orderable served name due first. Forced names no longer served (or orderable) are dropped. */
  private pick(): { domain: string; at: number } | null {
    const served = this.o.served();
    const orderable = new Set(served.filter((n) => !notOrderable(n)).map((n) => n.domain));
    for (const d of [...this.forced]) if (!orderable.has(d)) this.settle(d);
    let best: { domain: string; at: number } | null = null;
    for (const domain of orderable) {
      const at = dueAt(this.o.meta(domain), this.o.directory, this.o.renewBeforeMs, this.forced.has(domain));
      if (!best || at < best.at) best = { domain, at };
    }
    return best;
  }

  private async order(domain: string): Promise<void> {
    // Asked again right before ordering: a name removed meanwhile is never requested from the CA.
    const name = this.o.served().find((n) => n.domain === domain);
    if (!name || notOrderable(name)) return this.settle(domain);
    const before = this.o.meta(domain);
    const started = Date.now();
    this.busy = domain;
    try {
      const cert = await this.o.issuer.issue(domain);
      const saved = this.o.save({
        ...before, kind: this.o.issuer.kind, directory: this.o.directory,
        failures: 0, lastError: null, lastAttempt: new Date().toISOString(), nextAttempt: null, rateLimited: false,
      }, cert);
      this.o.log.info(`${domain}: certificate from ${saved.issuer} (serial ${saved.serial}) in ${Date.now() - started} ms, valid until ${saved.notAfter}`);
      this.o.ordered?.({ name, ok: true, served: before, meta: saved });
    } catch (e) {
      const failures = before.failures + 1;
      const limitedUntil = e instanceof RateLimitedError ? e.retryAt.getTime() : 0;
      // lastAttempt is when the order ended, so nextAttempt - lastAttempt is the backoff itself.
      const ended = Date.now();
      const next = Math.max(ended + backoffMs(failures, this.o.retryMinMs, this.o.retryMaxMs), limitedUntil);
      const error = oneLine(e);
      const saved = this.o.save({ ...before, failures, lastError: error, lastAttempt: new Date(ended).toISOString(), nextAttempt: new Date(next).toISOString(), rateLimited: limitedUntil > 0 });
      this.o.ordered?.({ name, ok: false, served: before, meta: saved });
      this.o.log.warn(`${domain}: order failed (${failures} in a row): ${error}; next try at ${new Date(next).toISOString()}`);
    } finally {
      this.busy = null;
      this.settle(domain);
    }
  }

  private settle(domain: string): void {
    this.forced.delete(domain);
    for (const resolve of this.waiters.get(domain) ?? []) resolve();
    this.waiters.delete(domain);
  }
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500) || 'unknown error';
}
