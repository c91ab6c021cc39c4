// Custom domains: which app serves a host name (one app per domain).
import { NotFoundError, UserError } from '../core/index.ts';
import type { Db } from './db.ts';
import type { Row } from './rows.ts';

export interface StoredDomain {
  domain: string;
  app: string;
  createdAt: string;
}

const toDomain = (r: Row): StoredDomain => ({ domain: r.domain as string, app: r.app as string, createdAt: r.created_at as string });

export class Domains {
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
    const r = this.db.prepare('SELECT * FROM domains WHERE domain = ?').get(domain) as Row | undefined;
    return r ? toDomain(r) : null;
  }

  /** The app's custom domains, by name. */
  list(app: string): { domain: string; createdAt: string }[] {
    return (this.db.prepare('SELECT domain, created_at FROM domains WHERE app = ? ORDER BY domain').all(app) as Row[])
      .map((r) => ({ domain: r.domain as string, createdAt: r.created_at as string }));
  }

  /** Every custom domain and the app it serves, for the route table. */
  all(): { domain: string; app: string }[] {
    return this.db.prepare('SELECT domain, app FROM domains ORDER BY app, domain').all() as { domain: string; app: string }[];
  }
}
