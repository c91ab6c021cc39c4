// Certificates: what each served name's TLS handshake gets (SNI), their status, and forced renewals.
import { createSecureContext, type SecureContext } from 'node:tls';
import { NotFoundError, UserError, type CertInfo, type CertsReport, type Logger } from '../core/index.ts';
import { CertStore, emptyMeta } from './cert-store.ts';
import { CustomCerts } from './custom.ts';
import { DAY, Renewer, notOrderable, type OrderOutcome } from './renewer.ts';
import type { CertIssuer, CertMeta, IssuedCert, ServedName } from './types.ts';

export interface CertificatesOptions {
  /** `<data>/certs`. */
  dir: string;
  /** The CA's issuer; null when ACME is off (`acmeOff` says why). */
  acme: (CertIssuer & { challenge(token: string): string | null }) | null;
  directory: string | null;
  acmeOff?: string;
  selfSigned: CertIssuer;
  /** The host names the router serves (from the same state as its route table). */
  served: () => ServedName[];
  /** The operator's log: orders that succeeded or failed. */
  log: Logger;
  retryMinMs?: number;
  retryMaxMs?: number;
  renewBeforeMs?: number;
  /** Called after a certificate is stored or made: the router daemon gets pems() again. */
  onChange?: () => void;
  /** Told every order's outcome. */
  onOrder?: (o: OrderOutcome) => void;
  /** Told, at start, hourly and on each change, whether each custom certificate expires within 14 days (the alerts). */
  onCustomExpiry?: (e: { domain: string; app: string; notAfter: string; expiring: boolean }) => void;
}

/** A custom certificate is announced this long before it expires (it is never renewed by minicloud). */
export const CUSTOM_WARN_MS = 14 * DAY;

interface Entry {
  meta: CertMeta;
  context: SecureContext | null;
}

export class Certificates {
  readonly store: CertStore;
  readonly custom: CustomCerts;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly entries = new Map<string, Entry>();
  private served = new Map<string, ServedName>();
  private readonly making = new Map<string, Promise<SecureContext>>();
  private readonly renewer: Renewer | null;
  private readonly renewBeforeMs: number;
  private fallbackCert: IssuedCert | null = null;
  private fallbackContext: SecureContext | null = null;

  constructor(private readonly o: CertificatesOptions) {
    this.store = new CertStore(o.dir);
    this.custom = new CustomCerts(o.dir);
    this.renewBeforeMs = o.renewBeforeMs ?? 30 * DAY;
    this.renewer = o.acme && o.directory ? new Renewer({
      // Names a custom certificate serves are never ordered.
      issuer: o.acme, directory: o.directory, served: () => [...this.refresh().values()].filter((n) => !this.custom.for(n)), log: o.log,
      meta: (d) => this.entries.get(d)?.meta ?? emptyMeta(d),
      save: (meta, cert) => this.save(meta, cert), ordered: o.onOrder,
      retryMinMs: o.retryMinMs ?? 60_000, retryMaxMs: o.retryMaxMs ?? DAY, renewBeforeMs: this.renewBeforeMs,
    }) : null;
  }

  /** Loads the stored certificates, makes the fallback one, and plans the first orders. */
  async start(): Promise<void> {
    for (const { meta, cert } of this.store.loadAll()) this.entries.set(meta.domain, { meta, context: cert ? contextOf(cert) : null });
    this.custom.load();
    this.expiryTimer = setInterval(() => this.checkExpiry(), 3600_000).unref();
    this.fallbackCert = await this.o.selfSigned.issue('minicloud');
    this.fallbackContext = contextOf(this.fallbackCert);
    this.sync();
  }

  /** Certificates another part wrote to the store (a restore): taken up where none, or a self-signed one, serves. */
  reload(): void {
    for (const { meta, cert } of this.store.loadAll()) {
      const e = this.entries.get(meta.domain);
      if (!e?.context || e.meta.kind === 'self-signed') this.entries.set(meta.domain, { meta, context: cert ? contextOf(cert) : null });
    }
    this.custom.load();
    this.sync();
    this.o.onChange?.();
  }

  /** The served names changed (a deploy, a domain added or removed): self-signed ones at once, orders planned. */
  sync(): void {
    for (const name of this.refresh().values()) {
      if (this.custom.for(name)) continue;
      const e = this.entries.get(name.domain);
      if (!e?.context || (e.meta.kind === 'self-signed' && expiresWithin(e.meta, this.renewBeforeMs))) void this.selfSigned(name.domain).catch(() => {});
    }
    this.renewer?.kick();
    this.checkExpiry();
  }

  /** The served names' certificates as PEM (those made so far) and the fallback: what the router daemon serves. */
  pems(): { fallback: IssuedCert; names: Record<string, IssuedCert> } {
    const names: Record<string, IssuedCert> = {};
    for (const [domain, n] of this.refresh()) {
      const cert = this.custom.for(n)?.cert ?? (this.entries.get(domain)?.context ? this.store.load(domain)?.cert : null);
      if (cert) names[domain] = cert;
    }
    return { fallback: this.fallback(), names };
  }

  /** For a handshake without SNI, or for a name the router does not serve. */
  fallback(): IssuedCert {
    if (!this.fallbackCert) throw new Error('Certificates.start() first');
    return this.fallbackCert;
  }

  /** The certificate for an SNI name: its own, else its wildcard's, else the fallback; never waits on a CA. */
  async context(servername: string | null): Promise<SecureContext> {
    const host = servername?.toLowerCase().replace(/\.$/, '') ?? '';
    const dot = host.indexOf('.');
    const name = this.served.has(host) ? host : dot > 0 && this.served.has(`*.${host.slice(dot + 1)}`) ? `*.${host.slice(dot + 1)}` : null;
    if (!name) return this.fallbackContext!;
    const custom = this.custom.for(this.served.get(name));
    if (custom) return custom.context;
    return this.entries.get(name)?.context ?? this.selfSigned(name).catch(() => this.fallbackContext!);
  }

  /** The key authorization for an HTTP-01 token of an order in progress. */
  challenge(token: string): string | null {
    return this.o.acme?.challenge(token) ?? null;
  }

  report(app: string): CertsReport {
    const names = [...this.refresh().values()].filter((n) => n.app === app);
    return {
      acme: { enabled: this.renewer !== null, directory: this.o.directory, reason: this.renewer ? null : this.o.acmeOff ?? 'ACME is off' },
      domains: names.map((n) => this.info(n)),
    };
  }

  /** Orders new certificates for the app's names (or one of them) now, and waits (up to `waitMs`) for the outcome. */
  async renew(app: string, domain?: string, waitMs = 120_000): Promise<CertsReport> {
    if (!this.renewer) throw new UserError(`no CA is configured: ${this.o.acmeOff ?? 'ACME is off'}`, 'set MINICLOUD_ACME_EMAIL (Let\'s Encrypt) and restart minicloud');
    const names = [...this.refresh().values()].filter((n) => n.app === app && (!domain || n.domain === domain));
    if (domain && names.length === 0) throw new NotFoundError(`${app} does not serve ${domain}`, `see its domains with \`minicloud certs ${app}\``);
    const orderable = names.filter((n) => !notOrderable(n));
    if (orderable.length === 0) {
      const why = names.map((n) => `${n.domain}: ${notOrderable(n)}`).join('; ');
      throw new UserError(`none of ${app}'s names can get a certificate from the CA${why ? ` (${why})` : ''}`, `add a domain of your own with \`minicloud domains:add ${app} www.example.com\``);
    }
    const limited = orderable.filter((n) => this.entries.get(n.domain)?.meta.rateLimited && Date.parse(this.entries.get(n.domain)!.meta.nextAttempt ?? '') > Date.now());
    if (limited.length === orderable.length) {
      const at = this.entries.get(limited[0]!.domain)!.meta.nextAttempt;
      throw new UserError(`the CA rate-limited ${limited.map((n) => n.domain).join(', ')}; no order goes out before ${at}`, 'minicloud retries by itself then');
    }
    const done = this.renewer.force(orderable.filter((n) => !limited.includes(n)).map((n) => n.domain));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return this.report(app);
  }

  /** `certs:add`: a user's own chain and key for `domain`, or for each of the app's names it covers; served at once. */
  addCustom(app: string, certPem: unknown, keyPem: unknown, domain?: string): CertsReport {
    const added = this.custom.add(app, [...this.refresh().values()], certPem, keyPem, domain);
    this.o.log.info(`${app}: custom certificate added for ${added.join(', ')}`);
    this.o.onChange?.();
    this.checkExpiry();
    return this.report(app);
  }

  /** `certs:remove`: back to the CA's certificate (ordered now when there is none) or a self-signed one. */
  removeCustom(app: string, domain?: string): CertsReport {
    const gone = this.custom.remove(app, domain);
    this.o.log.info(`${app}: custom certificate removed from ${gone.join(', ')}`);
    for (const d of gone) this.o.onCustomExpiry?.({ domain: d, app, notAfter: '', expiring: false });
    this.sync();
    this.o.onChange?.();
    return this.report(app);
  }

  /** `apps:rename`: the app's custom certificates go on serving its names under the new name. */
  renameApp(from: string, to: string): void {
    const moved = this.custom.rename(from, to);
    if (moved.length === 0) return;
    this.o.log.info(`${to}: custom certificates of ${moved.join(', ')} moved from ${from}`);
    this.o.onChange?.();
  }

  /** The app was destroyed: its custom certificates and keys are removed from disk. */
  forgetApp(app: string): void {
    const gone = this.custom.forget(app);
    if (gone.length === 0) return;
    this.o.log.info(`${app}: custom certificates of ${gone.join(', ')} removed with the app`);
    for (const d of gone) this.o.onCustomExpiry?.({ domain: d, app, notAfter: '', expiring: false });
    this.sync();
    this.o.onChange?.();
  }

  stop(): void {
    this.renewer?.stop();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
  }

  /** Each served custom certificate's expiry, told to the alerts (they open and close the incident). */
  private checkExpiry(): void {
    if (!this.o.onCustomExpiry) return;
    for (const n of this.served.values()) {
      const m = this.custom.for(n)?.meta;
      if (m?.notAfter) this.o.onCustomExpiry({ domain: n.domain, app: n.app, notAfter: m.notAfter, expiring: expiresWithin(m, CUSTOM_WARN_MS) });
    }
  }

  private info(n: ServedName): CertInfo {
    const custom = this.custom.info(n);
    if (custom) return custom;
    const meta = this.entries.get(n.domain)?.meta ?? emptyMeta(n.domain);
    const hasCert = Boolean(this.entries.get(n.domain)?.context);
    const caCert = hasCert && meta.kind === 'acme' && !expiresWithin(meta, 0);
    const reason = this.renewer ? notOrderable(n) : this.o.acmeOff ?? 'ACME is off';
    const next = reason ? null : this.renewer?.nextAttempt(n) ?? null;
    const status: CertInfo['status'] = caCert ? 'valid' : reason ? 'self-signed' : this.renewer?.busy === n.domain || meta.failures === 0 ? 'pending' : 'failed';
    return {
      domain: n.domain, status, kind: hasCert ? meta.kind : undefined,
      issuer: hasCert && meta.kind === 'acme' ? meta.issuer ?? 'unknown CA' : 'self-signed',
      serial: hasCert ? meta.serial ?? null : null,
      notAfter: hasCert ? meta.notAfter ?? null : null,
      reason, lastError: meta.lastError,
      nextAttempt: next === null ? null : new Date(Math.max(next, Date.now())).toISOString(),
    };
  }

  /** The served names, fresh from the route state (also the renewer's check before each order). */
  private refresh(): Map<string, ServedName> {
    this.served = new Map(this.o.served().map((n) => [n.domain, n]));
    return this.served;
  }

  private save(meta: CertMeta, cert?: IssuedCert): CertMeta {
    const saved = this.store.save(meta, cert);
    const old = this.entries.get(meta.domain)?.context ?? null;
    // New handshakes get the new certificate at once; connections already open keep theirs.
    this.entries.set(meta.domain, { meta: saved, context: cert ? contextOf(cert) : old });
    if (cert) this.o.onChange?.();
    return saved;
  }

  /** Makes (once at a time per name) and stores a self-signed certificate, unless a CA's arrived meanwhile. */
  private selfSigned(domain: string): Promise<SecureContext> {
    let p = this.making.get(domain);
    if (!p) {
      p = this.o.selfSigned.issue(domain).then((cert) => {
        const e = this.entries.get(domain);
        if (e?.context && e.meta.kind === 'acme') return e.context;
      const custom = this.custom.for(this.served.get(domain));
      if (custom) return custom.context;
        this.save({ ...(e?.meta ?? emptyMeta(domain)), kind: 'self-signed', directory: undefined }, cert);
        return this.entries.get(domain)!.context!;
      }).finally(() => this.making.delete(domain));
      this.making.set(domain, p);
    }
    return p;
  }
}

function contextOf(cert: IssuedCert): SecureContext {
  return createSecureContext({ key: cert.keyPem, cert: cert.certPem });
}

function expiresWithin(meta: CertMeta, ms: number): boolean {
  return !meta.notAfter || Date.parse(meta.notAfter) - Date.now() < ms;
}
