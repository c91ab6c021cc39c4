// api/access: who may call what. Tokens with roles, the route table every request is checked against, the gate.
import type { Request, RequestHandler, Router } from 'express';
import type { Store } from '../../store/index.ts';
import { FailureLimiter, type SessionStore } from '../sessions.ts';
import { accessGate, type Done } from './gate.ts';
import { Access } from './principals.ts';
import { accessRoutes } from './routes.ts';
import { clientAddress, forwardedFromRouterOnly, limitKey, trustProxy, type ClientAddressOptions } from './client-address.ts';
import { Audit } from './audit.ts';
import { People } from './people.ts';
import { actorOf } from './roles.ts';

export { Access, BOOT_TOKEN, MIN_TOKEN_LENGTH, newTokenSecret } from './principals.ts';
export { ROUTES, matchRoute, type RouteRule } from './route-table.ts';
export { principalOf } from './gate.ts';
export { sees, type Principal } from './roles.ts';

/** Failed credentials allowed per client address per minute before it is answered 429. */
export const FAILURES_PER_MINUTE = 10;

/** Failed credentials per client (IPv6: per /64): how long to wait, and one more failure. */
export type Limiter = Pick<FailureLimiter, 'blocked' | 'fail'>;

export interface AccessLayer {
  /** First of all: forwarded headers only from the router (client-address.ts). */
  forwarded: RequestHandler;
  trustProxy: (addr: string, hop: number) => boolean;
  gate: RequestHandler;
  routes: Router;
  limiter: Limiter;
  /** A dashboard login's credentials: the session reference and who it is, or null. */
  login: (body: Record<string, unknown>) => Promise<{ ref: string; actor: string } | null>;
  /** The dashboard's logins, failed logins and logouts, for the audit log. */
  record: (action: string, actor: string, address: string, status: number, detail?: Record<string, unknown>) => void;
  /** Who a session belongs to, for the audit log (`-` once it has ended). */
  actorOfSession: (ref: string) => string;
  clientAddress: (req: Request) => string;
  /** The audit log's entries for the deploys a signed GitHub push started (the webhook's reply). */
  webhookDeploys: (reply: Record<string, unknown>, address: string) => void;
}

export function accessLayer(o: { store: Store; sessions: SessionStore; hookToken: string } & ClientAddressOptions): AccessLayer {
  const access = new Access(o.store);
  const people = new People(o.store);
  const audit = new Audit(o.store);
  const failures = new FailureLimiter(FAILURES_PER_MINUTE, 60_000);
  const limiter: Limiter = { blocked: (a) => failures.blocked(limitKey(a)), fail: (a) => failures.fail(limitKey(a)) };
  const login = async (body: Record<string, unknown>) => {
    if (body.email !== undefined) {
      const u = await people.login(body.email, body.password);
      return u ? { ref: `user:${u.email}`, actor: u.email } : null;
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const found = token ? access.fromSecret(token) : null;
    return found ? { ref: `token:${found.tokenId}`, actor: actorOf(found.principal) } : null;
  };
  const actorOfSession = (ref: string) => access.describeRef(ref);
  const onDone = (e: Done) => {
    audit.done(e);
    // Scopes name apps: a destroyed one leaves them, so an app made later under its name is not theirs.
    if (e.match.rule.action === 'apps:destroy' && e.status < 300 && e.match.params.app) {
      o.store.tokens.forgetApp(e.match.params.app);
      o.store.users.forgetApp(e.match.params.app);
    }
  };
  const gate = accessGate({ access, people, sessions: o.sessions, limiter, hookToken: o.hookToken, clientAddress, onDone, onFailed: audit.failed });
  const record = (action: string, actor: string, address: string, status: number, detail: Record<string, unknown> = {}) => audit.record(actor, action, null, detail, address, status);
  const webhookDeploys = (reply: Record<string, unknown>, address: string) => {
    const deploys = Array.isArray(reply.deploys) ? (reply.deploys as { app?: unknown; deploy?: unknown }[]) : [];
    for (const d of deploys) if (typeof d.app === 'string') audit.record('GitHub (signed webhook)', 'deploy:github', d.app, { deploy: d.deploy }, address, 202);
  };
  return {
    webhookDeploys, gate, routes: accessRoutes(access, audit, people, o.store), limiter, login, record, actorOfSession, clientAddress,
    forwarded: forwardedFromRouterOnly(o), trustProxy: trustProxy(o),
  };
}
