// The access gate, in front of every route: finds the request's rule in the route table, authenticates it
// (bearer token, git's basic auth, or a dashboard session), rate-limits failures per client, and authorizes.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { bearer, hashToken } from './auth.ts';
import { checkSession, sessionOf, type FailureLimiter, type Session, type SessionStore } from './sessions.ts';
import type { Access } from './principals.ts';
import { personPrincipal, type People } from './people.ts';
import { actorOf, allows, requirement, type Permission, type Principal } from './roles.ts';
import { appOf, matchRoute, type Match, type RuleRequest } from './route-table.ts';

type Limiter = Pick<FailureLimiter, 'blocked' | 'fail'>;

export interface GateDeps {
  access: Access;
  people: People;
  sessions: SessionStore;
  /** Failed credentials per client address (bearer, basic and dashboard logins share it). */
  limiter: Limiter;
  hookToken: string;
  /** The client's address as the router computed it (see client-address.ts). */
  clientAddress: (req: Request) => string;
  /** Called when an authorized request has been answered (the audit log). */
  onDone?: (e: Done) => void;
  /** Called for a wrong credential (the audit log's failed logins). */
  onFailed?: (match: Match, address: string) => void;
}

export interface Done { match: Match; principal: Principal; address: string; status: number; req: RuleRequest }

/** The caller of an authorized request (set by the gate; routes behind it may rely on it). */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('principalOf: the request did not pass the access gate');
  return p;
}

const isGit = (m: Match) => m.rule.path.startsWith('/git/');

function basicPassword(header: string | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : decoded.slice(i + 1);
}

/** Basic auth whose user name is an email: a person's password (only where the rule takes one). */
function basicUser(header: string | undefined): { email: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i > 0 && decoded.slice(0, i).includes('@') ? { email: decoded.slice(0, i), password: decoded.slice(i + 1) } : null;
}

export function accessGate(d: GateDeps): RequestHandler {
  const hookHash = Buffer.from(hashToken(d.hookToken), 'hex');
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = matchRoute(req.method, req.path);
    if (!match) return void res.status(404).json({ error: 'not found', hint: 'the API lives under /api; see GET /api/openapi.json' });
    const rr: RuleRequest = { params: match.params, query: req.query as Record<string, unknown> };
    const perm: Permission = match.rule.refine?.(rr) ?? match.rule.permission;
    if (perm === 'public') return next();
    if (perm === 'hook') {
      const t = bearer(req.headers.authorization);
      if (t && timingSafeEqual(Buffer.from(hashToken(t), 'hex'), hookHash)) return next();
      return void res.status(401).json({ error: 'invalid hook token', hint: 'only the git hook calls this' });
    }
    const address = d.clientAddress(req);
    const wait = d.limiter.blocked(address);
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return void res.status(429).json({ error: `too many failed attempts from ${address}; try again in ${wait} s` });
    }
    const auth = await authenticate(d, req, match);
    if (auth === 'failed') {
      d.limiter.fail(address);
      d.onFailed?.(match, address);
    }
    if (auth === 'failed' || auth === null) return unauthenticated(res, match, auth === 'failed');
    const app = appOf(match);
    if (!allows(auth.principal, perm, app)) return forbidden(res, match, auth.principal, perm, app);
    res.locals.principal = auth.principal;
    if (d.onDone) {
      const onDone = d.onDone;
      // 'close', not 'finish': a change whose client left mid-answer (a run, a followed deploy) is recorded too.
      res.once('close', () => onDone({ match, principal: auth.principal, address, status: res.statusCode, req: { ...rr, body: req.body } }));
    }
    if (auth.session) return checkSession(auth.session, req, res, next);
    next();
  };
}

type Auth = { principal: Principal; session?: Session } | 'failed' | null;

/** The request's principal; 'failed' for a credential that is wrong (counted), null for none at all. */
async function authenticate(d: GateDeps, req: Request, match: Match): Promise<Auth> {
  const header = req.headers.authorization;
  const person = match.rule.password ? basicUser(header) : null;
  if (person) {
    const u = await d.people.login(person.email, person.password);
    return u ? { principal: personPrincipal(u, null) } : 'failed';
  }
  const secret = bearer(header) ?? (isGit(match) ? basicPassword(header) : null);
  if (secret !== null) {
    const found = d.access.fromSecret(secret);
    return found ? { principal: found.principal } : 'failed';
  }
  if (header !== undefined) return 'failed';
  // Sessions are for the dashboard's calls to /api only: git and /metrics take tokens.
  if (!match.rule.path.startsWith('/api/')) return null;
  const session = sessionOf(d.sessions, req);
  if (!session) return null;
  const principal = d.access.fromSessionRef(session.principal);
  if (!principal) {
    d.sessions.delete(session.id); // its token was revoked or replaced
    return null;
  }
  return { principal, session };
}

function unauthenticated(res: Response, match: Match, wrong: boolean): void {
  if (isGit(match)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="minicloud"' });
    return void res.end(wrong ? 'invalid token\n' : 'authentication required: use your minicloud token as the password\n');
  }
  const hint = match.rule.path === '/metrics' ? 'scrape with a metrics token as a bearer token' : 'run `minicloud login`, or send `Authorization: Bearer <token>`';
  res.status(401).json({ error: wrong ? 'invalid token' : 'missing bearer token', hint });
}

function forbidden(res: Response, match: Match, p: Principal, perm: Permission, app: string | undefined): void {
  const what = app ? `${match.rule.summary.toLowerCase()} (app ${app})` : match.rule.summary.toLowerCase();
  const message = `${actorOf(p)} (${p.role}${p.apps ? ` on ${p.apps.join(', ')}` : ''}) may not: ${what}`;
  // git prints a text/plain error body as `remote: <message>` before its own "returned error: 403".
  if (isGit(match)) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(`${message}\n`);
  res.status(403).json({ error: message, hint: requirement(perm) });
}
