// Custom domains: which app serves a host name (one app per domain).
import { NotFoundError, UserError } from '../core/index.ts';
import type { Db } from './db.ts';

export interface StoredDomain {
  domain: string;
  app: string;
  createdAt: string;
}

/** A row of `domains`. */
export interface DomainRow { domain: string; app: string; created_at: string }

const toDomain = (r: DomainRow): StoredDomain => ({ domain: r.domain, app: r.app, createdAt: r.created_at });

export class DomainsTable {
  constructor(private readonly db: Db) {}

  /**
   * Gives `domain` (already validated) to `app`. Adding a domain the app already has changes nothing
   * (`added` is false); one that another app has is refused with 409, naming that app.
   */
  add(app: string, domain: string): StoredDomain & { added: boolean } {
    return this.db.transaction(() => {
      const existing = this.get(domain);
      if (existing?.app === app) return { ...existing, added: false };
      if (existing) {
        throw new UserError(
          `${domain} is already used by app ${existing.app}`,
          `a domain serves one app; remove it there first with \`minicloud domains:remove ${existing.app} ${domain}\``,
          409,
        );
      }
      this.db.prepare('INSERT INTO domains (domain, app, created_at) VALUES (?, ?, ?)').run(domain, app, new Date().toISOString());
      return { ...this.get(domain)!, added: true };
    })();
  }

  /** Takes `domain` away from `app`; 404 when the app does not have it. */
  remove(app: string, domain: string): void {
    const gone = this.db.prepare('DELETE FROM domains WHERE domain = ? AND app = ?').run(domain, app).changes;
    if (gone === 0) throw new NotFoundError(`${app} has no custom domain ${domain}`, `see its domains with \`minicloud domains ${app}\``);
  }

  get(domain: string): StoredDomain | null {
    const r = this.db.prepare<[string], DomainRow>('SELECT * FROM domains WHERE domain = ?').get(domain);
    return r ? toDomain(r) : null;
  }

  /** The app's custom domains, by name. */
  list(app: string): { domain: string; createdAt: string }[] {
    return this.db.prepare<[string], DomainRow>('SELECT * FROM domains WHERE app = ? ORDER BY domain').all(app)
      .map((r) => ({ domain: r.domain, createdAt: r.created_at }));
  }

  /** Every custom domain and the app it serves, for the route table. */
  all(): { domain: string; app: string }[] {
    return this.db.prepare<[], DomainRow>('SELECT * FROM domains ORDER BY app, domain').all().map((r) => ({ domain: r.domain, app: r.app }));
  }
}
