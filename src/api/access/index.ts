// api/access: who may call what. Tokens with roles, the route table every request is checked against, the gate.
import type { Request, RequestHandler, Router } from 'express';
import type { Store } from '../../store/index.ts';
import { FailureLimiter, type SessionStore } from '../sessions.ts';
import { accessGate } from './gate.ts';
import { Access } from './principals.ts';
import { accessRoutes } from './routes.ts';

export { Access, BOOT_TOKEN, MIN_TOKEN_LENGTH, newTokenSecret } from './principals.ts';
export { ROUTES, matchRoute, type RouteRule } from './route-table.ts';
export { principalOf } from './gate.ts';
export { sees, type Principal } from './roles.ts';

/** Failed credentials allowed per client address per minute before it is answered 429. */
export const FAILURES_PER_MINUTE = 10;

export interface AccessLayer {
  gate: RequestHandler;
  routes: Router;
  limiter: FailureLimiter;
  login: (body: Record<string, unknown>) => string | null;
  clientAddress: (req: Request) => string;
}

export function accessLayer(o: { store: Store; sessions: SessionStore; hookToken: string }): AccessLayer {
  const access = new Access(o.store);
  const limiter = new FailureLimiter(FAILURES_PER_MINUTE, 60_000);
  const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const login = (body: Record<string, unknown>): string | null => {
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const found = token ? access.fromSecret(token) : null;
    return found ? `token:${found.tokenId}` : null;
  };
  const gate = accessGate({ access, sessions: o.sessions, limiter, hookToken: o.hookToken, clientAddress });
  return { gate, routes: accessRoutes(access), limiter, login, clientAddress };
}
