// GitHub repositories followed by apps (webhook deploys), and the webhook deliveries already seen.
import type { Db } from './db.ts';

export interface GithubLink { app: string; repo: string; branch: string; secret: string; token: string | null; createdAt: string }

/** A row of `github_links`. */
export interface GithubLinkRow { app: string; repo: string; branch: string; secret: string; token: string | null; created_at: string }

const toLink = (r: GithubLinkRow): GithubLink => ({ app: r.app, repo: r.repo, branch: r.branch, secret: r.secret, token: r.token, createdAt: r.created_at });

export class GithubLinksTable {
  constructor(private readonly db: Db) {}

  set(l: Omit<GithubLink, 'createdAt'>): GithubLink {
    this.db.prepare(`INSERT INTO github_links (app, repo, branch, secret, token, created_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (app) DO UPDATE SET repo = excluded.repo, branch = excluded.branch, secret = excluded.secret, token = excluded.token`)
      .run(l.app, l.repo, l.branch, l.secret, l.token, new Date().toISOString());
    return this.get(l.app)!;
  }

  get(app: string): GithubLink | null {
    const r = this.db.prepare<[string], GithubLinkRow>('SELECT * FROM github_links WHERE app = ?').get(app);
    return r ? toLink(r) : null;
  }

  /** Every app's link: a webhook is verified against each secret before its body is read. */
  all(): GithubLink[] {
    return this.db.prepare<[], GithubLinkRow>('SELECT * FROM github_links ORDER BY app').all().map(toLink);
  }

  /** True the first time a delivery id is seen; false for a redelivery. */
  recordDelivery(id: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO webhook_deliveries (id, received_at) VALUES (?, ?)').run(id, new Date().toISOString()).changes === 1;
  }
}
