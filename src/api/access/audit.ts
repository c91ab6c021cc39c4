// Writing the audit log from the access gate and the dashboard's logins, and reading it back for one caller.
import type { AuditQuery } from '../../core/index.ts';
import type { AuditEntry, Store } from '../../store/index.ts';
import type { Done } from './gate.ts';
import { actorOf, sees, type Principal } from './roles.ts';
import { appOf, type Match } from './route-table.ts';

export const AUDIT_DEFAULT = 50;
export const AUDIT_MAX = 1000;

export class Audit {
  constructor(private readonly store: Store) {}

  /** An authorized change (a route with an `action`), as it ended. */
  done = (e: Done): void => {
    const rule = e.match.rule;
    if (!rule.action) return;
    const body = e.req.body && typeof e.req.body === 'object' ? (e.req.body as Record<string, unknown>) : {};
    const named = rule.bodyApp ? body[rule.bodyApp] : undefined;
    const app = appOf(e.match) ?? (typeof named === 'string' ? named : null);
    this.record(actorOf(e.principal), rule.action, app, rule.detail?.(e.req) ?? {}, e.address, e.status);
  };

  /** A wrong token (bearer or git password): who is not known, where from is. */
  failed = (match: Match, address: string): void => {
    this.record('-', 'token:failed', appOf(match) ?? null, { route: `${match.rule.method} ${match.rule.path}` }, address, 401);
  };

  record(actor: string, action: string, app: string | null, detail: Record<string, unknown>, address: string, status: number | null): void {
    this.store.audit.add({ actor, action, app, detail, address, status });
  }

  /** The latest entries the caller may see: an admin everything, others the entries of apps they see. */
  read(p: Principal, query: AuditQuery): AuditEntry[] {
    const visible = p.role === 'admin' ? undefined : (a: string | null) => a !== null && sees(p, a);
    return this.store.audit.list({ app: query.app, limit: query.n, visible });
  }
}
