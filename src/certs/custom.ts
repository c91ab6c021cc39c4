// Users' own certificates (`certs:add`), kept apart from the CA's in <data>/certs/_custom/<domain>/ (same files and
// modes): a custom certificate serves its app's name while it is there; removing it brings back the CA's or a self-signed one.
import { createSecureContext, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import { NotFoundError, UserError, type CertInfo } from '../core/index.ts';
import { CertStore, emptyMeta } from './cert-store.ts';
import { checkCustom, covers } from './custom-check.ts';
import type { CertMeta, IssuedCert, ServedName } from './types.ts';

interface Entry { meta: CertMeta; cert: IssuedCert; context: SecureContext }

export class CustomCerts {
  private readonly store: CertStore;
  private entries = new Map<string, Entry>();

  constructor(dir: string) {
    this.store = new CertStore(join(dir, '_custom'));
  }

  /** (Re)reads the stored ones; an entry whose files do not belong together is left out. */
  load(): void {
    this.entries = new Map();
    for (const { meta, cert } of this.store.loadAll()) {
      if (cert && meta.kind === 'custom' && meta.app) this.entries.set(meta.domain, { meta, cert, context: createSecureContext({ key: cert.keyPem, cert: cert.certPem }) });
    }
  }

  /** The custom certificate serving this name: only the app that added it is served with it. */
  for(n: ServedName | undefined): Entry | null {
    const e = n ? this.entries.get(n.domain) : undefined;
    return e && e.meta.app === n!.app ? e : null;
  }

  /**
   * Checks a chain and key and stores them for `domain`, or for each of the app's names the certificate covers.
   * `names`: the app's served names. Returns the domains it now serves.
   */
  add(app: string, names: ServedName[], certPem: unknown, keyPem: unknown, domain?: string): string[] {
    const c = checkCustom(certPem, keyPem);
    const mine = names.filter((n) => n.app === app);
    let targets: ServedName[];
    if (domain) {
      const n = mine.find((m) => m.domain === domain);
      if (!n) throw new NotFoundError(`${app} does not serve ${domain}`, `add it first with \`minicloud domains:add ${app} ${domain}\``);
      if (!c.names.some((name) => covers(name, domain))) throw new UserError(`the certificate does not cover ${domain}: it is for ${c.names.join(', ') || 'no name'}`, 'send a certificate whose names include this domain (a wildcard covers one label)');
      targets = [n];
    } else {
      targets = mine.filter((n) => c.names.some((name) => covers(name, n.domain)));
      if (targets.length === 0) {
        throw new UserError(`the certificate covers none of ${app}'s names: it is for ${c.names.join(', ') || 'no name'}; ${app} serves ${mine.map((n) => n.domain).join(', ') || 'no names'}`,
          `add the domain first (\`minicloud domains:add ${app} <domain>\`), or send the certificate made for it`);
      }
    }
    const cert = { certPem: c.certPem, keyPem: c.keyPem };
    for (const n of targets) {
      const meta = this.store.save({ ...emptyMeta(n.domain), kind: 'custom', app, names: c.names }, cert);
      this.entries.set(n.domain, { meta, cert, context: createSecureContext({ key: cert.keyPem, cert: cert.certPem }) });
    }
    return targets.map((n) => n.domain);
  }

  /** Removes the app's custom certificate of `domain`, or all of them; returns the domains freed. */
  remove(app: string, domain?: string): string[] {
    const gone = [...this.entries.values()].filter((e) => e.meta.app === app && (!domain || e.meta.domain === domain)).map((e) => e.meta.domain);
    if (gone.length === 0) throw new NotFoundError(`${app} has no custom certificate${domain ? ` for ${domain}` : ''}`, `see its certificates with \`minicloud certs ${app}\``);
    for (const d of gone) {
      this.store.remove(d);
      this.entries.delete(d);
    }
    return gone;
  }

  /** `apps:rename`: the app's certificates serve its names under its new name. */
  rename(from: string, to: string): string[] {
    const moved = [...this.entries.values()].filter((e) => e.meta.app === from);
    for (const e of moved) this.entries.set(e.meta.domain, { ...e, meta: this.store.save({ ...e.meta, app: to }) });
    return moved.map((e) => e.meta.domain);
  }

  /** The app was destroyed: its certificates and keys go with it (a later app of that name or domain starts without them). */
  forget(app: string): string[] {
    const gone = [...this.entries.values()].filter((e) => e.meta.app === app).map((e) => e.meta.domain);
    for (const d of gone) {
      this.store.remove(d);
      this.entries.delete(d);
    }
    return gone;
  }

  /** The stored ones, served or not (the expiry alerts). */
  all(): CertMeta[] {
    return [...this.entries.values()].map((e) => e.meta);
  }

  info(n: ServedName): CertInfo | null {
    const e = this.for(n);
    if (!e) return null;
    const m = e.meta;
    return {
      domain: n.domain, kind: 'custom', status: Date.parse(m.notAfter ?? '') > Date.now() ? 'valid' : 'expired',
      issuer: m.issuer ?? 'unknown CA', serial: m.serial ?? null, notAfter: m.notAfter ?? null, names: m.names ?? [],
      reason: 'a custom certificate serves it (`minicloud certs:remove` to go back to the CA\'s)', lastError: null, nextAttempt: null,
    };
  }
}
