// api/access: who may call what. Tokens with roles, the route table every request is checked against, the gate.
import type { Request, RequestHandler } from 'express';
import type { LoginRequest } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { FailureLimiter, SessionStore } from './sessions.ts';
import { accessGate, type Done } from './gate.ts';
import { Access } from './principals.ts';
import { clientAddress, forwardedFromRouterOnly, limitKey, trustProxy, type ClientAddressOptions } from './client-address.ts';
import { Audit } from './audit.ts';
import { People } from './people.ts';
import { actorOf } from './roles.ts';

export { Access, BOOT_TOKEN, MIN_TOKEN_LENGTH, newTokenSecret } from './principals.ts';
export { ROUTES, matchRoute, type RouteRule } from './route-table.ts';
export { principalOf } from './gate.ts';
export { allows, sees, type Principal } from './roles.ts';
export { AUDIT_DEFAULT, AUDIT_MAX, type Audit } from './audit.ts';
export { MIN_PASSWORD, type People } from './people.ts';
export { openApiDocument } from './openapi.ts';
export { bearer, hashToken, tokenChecker } from './auth.ts';
export { adminToken, hookToken, writeHookConfig } from './tokens.ts';
export { checkSession, readCookie, sessionCookie, sessionCookieName, sessionOf, type SessionStore } from './sessions.ts';

/** Failed credentials allowed per client address per minute before it is answered 429. */
export const FAILURES_PER_MINUTE = 10;

/** Failed credentials per client (IPv6: per /64): how long to wait, and one more failure. */
export type Limiter = Pick<FailureLimiter, 'blocked' | 'fail'>;

export interface AccessLayer {
  /** First of all: forwarded headers only from the router (client-address.ts). */
  forwarded: RequestHandler;
  trustProxy: (addr: string, hop: number) => boolean;
  gate: RequestHandler;
  /** The dashboard's sessions (kept in the store's sessions table, so a restart logs no one out). */
  sessions: SessionStore;
  limiter: Limiter;
  /** API tokens: made, listed, revoked (access-routes.ts). */
  tokens: Access;
  people: People;
  audit: Audit;
  /** A dashboard login's credentials: the session reference and who it is, or null. */
  login: (input: LoginRequest) => Promise<{ ref: string; actor: string } | null>;
  /** The dashboard's logins, failed logins and logouts, for the audit log. */
  record: (action: string, actor: string, address: string, status: number, detail?: Record<string, unknown>) => void;
  /** Who a session belongs to, for the audit log (`-` once it has ended). */
  actorOfSession: (ref: string) => string;
  clientAddress: (req: Request) => string;
  /** The audit log's entries for the deploys a signed GitHub push started (the webhook's reply). */
  webhookDeploys: (deploys: { app: string; deploy: string }[], address: string) => void;
}

export function accessLayer(o: { store: Store; hookToken: string } & ClientAddressOptions): AccessLayer {
  const tokens = new Access(o.store);
  const people = new People(o.store);
  const audit = new Audit(o.store);
  const sessions = new SessionStore(undefined, undefined, o.store.sessions);
  const failures = new FailureLimiter(FAILURES_PER_MINUTE, 60_000);
  const limiter: Limiter = { blocked: (a) => failures.blocked(limitKey(a)), fail: (a) => failures.fail(limitKey(a)) };
  const login = async (input: LoginRequest) => {
    if ('email' in input) {
      const u = await people.login(input.email, input.password);
      return u ? { ref: `user:${u.email}`, actor: u.email } : null;
    }
    const found = tokens.fromSecret(input.token);
    return found ? { ref: `token:${found.tokenId}`, actor: actorOf(found.principal) } : null;
  };
  const onDone = (e: Done) => {
    audit.done(e);
    // Scopes name apps: a destroyed one leaves them, so an app made later under its name is not theirs.
    if (e.match.rule.action === 'apps:destroy' && e.status < 300 && e.match.params.app) {
      o.store.tokens.forgetApp(e.match.params.app);
      o.store.users.forgetApp(e.match.params.app);
    }
  };
  const gate = accessGate({ access: tokens, people, sessions, limiter, hookToken: o.hookToken, clientAddress, onDone, onFailed: audit.failed });
  return {
    gate, sessions, limiter, tokens, people, audit, login, clientAddress, forwarded: forwardedFromRouterOnly(o), trustProxy: trustProxy(o),
    actorOfSession: (ref) => tokens.describeRef(ref),
    record: (action, actor, address, status, detail = {}) => audit.record(actor, action, null, detail, address, status),
    webhookDeploys: (deploys, address) => {
      for (const d of deploys) audit.record('GitHub (signed webhook)', 'deploy:github', d.app, { deploy: d.deploy }, address, 202);
    },
  };
}
