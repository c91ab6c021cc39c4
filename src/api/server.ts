// The HTTP API server: /api (bearer token or dashboard session), /metrics (bearer token), /git (basic auth), /internal/hooks (hook token),
// /dashboard (the web UI), one error handler.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createLogger, isUserError, type Logger } from '../core/index.ts';
import { accessLayer, bearer, hashToken, tokenChecker } from './access/index.ts';
import { accessRoutes } from './access-routes.ts';
import { apiRoutes } from './routes.ts';
import { hookRoutes } from './hook-routes.ts';
import { dashboardRoutes } from './dashboard-routes.ts';
import type { RouteDeps } from './route-deps.ts';
import { serverRoutes } from './server-routes.ts';
import { acceptUpgrades, CONSOLE_IDLE_DEFAULT_MS, consoleRoutes } from './console-routes.ts';
import { DEFAULT_TIMEOUTS, deadlines, jsonBody, refusalLog, serverTimeouts, type ApiTimeouts } from './limits.ts';

const HSTS = 'max-age=31536000'; // a year; no includeSubDomains: apps under the domain may be plain HTTP

/** What the composition root gives the API: every route module's RouteDeps but the access layer, which createApi makes. */
export interface ApiOptions extends Omit<RouteDeps, 'access'> {
  hookToken: string;
  gitHandler: (req: Request, res: Response) => void;
  /** The secret the router adds to the requests it passes on (routes-from-state.ts adminRoute): only then are X-Forwarded-* believed. */
  routerProof?: string;
  /** MINICLOUD_TRUSTED_PROXIES, as the router reads it: proxies in front of the router, skipped to find the client. */
  trustedProxy?: (addr: string) => boolean;
  /** Whether to send HSTS on requests that came over HTTPS (admin.<domain> has a CA's certificate). */
  hsts?: () => boolean;
  /** Time limits on clients (limits.ts); git pushes and log streams are exempt from the body and answer ones. */
  timeouts?: ApiTimeouts;
  /** The CLI as an npm package tarball, served at GET /cli.tgz (cli-package.ts). */
  cliTarball?: () => Promise<Buffer>;
  /** The operator's log: refused requests (at a bounded rate) and internal errors. */
  logger?: Logger;
  /** A console with nothing typed and nothing printed for this long is closed (MINICLOUD_CONSOLE_IDLE_TIMEOUT). */
  consoleIdleMs?: number;
}

const requireToken = (check: (t: string) => boolean, what: string) => (req: Request, res: Response, next: NextFunction) => {
  const token = bearer(req.headers.authorization);
  if (token && check(token)) return next();
  res.status(401).json({ error: token ? 'invalid token' : 'missing bearer token', hint: `send \`Authorization: Bearer <token>\`; ${what}` });
};

export function createApi(o: ApiOptions): Server {
  const log = o.logger ?? createLogger({ label: 'api' });
  const logRefusal = refusalLog(log);
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-Proto/-For count only on requests the router proves it passed on (HTTPS → Secure cookies; the client's address for limits and the audit log).
  const access = accessLayer({ store: o.store, hookToken: o.hookToken, routerProof: o.routerProof, trustedProxy: o.trustedProxy });
  const d: RouteDeps = { ...o, access };
  app.set('trust proxy', access.trustProxy);
  app.use(access.forwarded);
  const hsts = o.hsts;
  if (hsts) app.use((req, res, next) => { if (req.secure && hsts()) res.setHeader('Strict-Transport-Security', HSTS); next(); });
  // Every request passes the access gate: its route's declared permission, or 404 (access/route-table.ts).
  app.use(access.gate);
  app.use('/git', (req, res) => o.gitHandler(req, res));
  const timeouts = o.timeouts ?? DEFAULT_TIMEOUTS;
  // Before the deadlines: an archive takes as long as it takes to stage, send and restore.
  app.use('/api', serverRoutes(d));
  // A console lasts as long as someone types in it (and is closed when idle: console-session.ts).
  app.use('/api', consoleRoutes(d, { idleMs: o.consoleIdleMs ?? CONSOLE_IDLE_DEFAULT_MS, log }));
  app.use(deadlines(timeouts, logRefusal));
  // GitHub signs the exact bytes: the body stays raw until a secret has verified it. Over 1 MB, express answers 413.
  app.post('/webhooks/github', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const reply = await o.github.handle(req.headers, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    access.webhookDeploys(reply.body.deploys ?? [], access.clientAddress(req)); // the audit log: deploys GitHub's signed push started
    for (const gone of reply.body.destroyed ?? []) await d.refreshRoutes(gone); // a closed pull request's preview: answered once the router serves without it
    res.status(reply.status).json(reply.body);
  });
  const cli = o.cliTarball;
  // Public, like any download page: `npm install -g https://admin.<domain>/cli.tgz` sends no token.
  if (cli) app.get('/cli.tgz', async (_req, res) => { res.type('application/gzip').set('cache-control', 'no-cache').send(await cli()); });
  app.get('/', (_req, res) => res.redirect(302, '/dashboard/')); // admin.<domain>/ through the router
  app.use('/dashboard', dashboardRoutes(d));
  app.use('/api', jsonBody('1mb'), accessRoutes(d), apiRoutes(d));
  const metrics = o.metrics;
  if (metrics) {
    // Prometheus scrapes with a metrics (or admin) token as a bearer token (no dashboard session here).
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.text());
    });
  }
  app.use('/internal/hooks', requireToken(tokenChecker(() => [hashToken(o.hookToken)]), 'only the git hook calls this'), jsonBody(), hookRoutes(d));
  app.use((_req, res) => { res.status(404).json({ error: 'not found', hint: 'the API lives under /api' }); });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (isUserError(err)) return void res.status(err.status).json({ error: err.message, hint: err.hint });
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type?.startsWith('entity.')) logRefusal(req, `${e.status ?? 400} ${e.type}`); // a bad body: a flood is logged at a bounded rate
    if (e.type === 'entity.parse.failed') return void res.status(400).json({ error: 'request body is not valid JSON' });
    if (e.status && e.status < 500) return void res.status(e.status).json({ error: e.message ?? 'bad request' });
    log.error('internal error:', err);
    if (!res.headersSent) res.status(500).json({ error: 'internal error; see the minicloud server log' });
    else res.end();
  });
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, timeouts.headersMs || 1000) }, app);
  serverTimeouts(server, timeouts);
  acceptUpgrades(server, app);
  const conns = { all: new Set<Socket>(), pushes: new Set<Socket>() };
  server.on('connection', (s: Socket) => { conns.all.add(s); s.once('close', () => { conns.all.delete(s); conns.pushes.delete(s); }); });
  server.on('request', (req) => { if (req.method === 'POST' && /\/git-receive-pack$/.test(req.url ?? '')) conns.pushes.add(req.socket); });
  connections.set(server, conns);
  return server;
}

const connections = new WeakMap<Server, { all: Set<Socket>; pushes: Set<Socket> }>();

/**
 * Stops listening and drops every connection but pushes in progress. Those stay, as relays only:
 * their hooks follow the build on the next minicloud process, and the pushing terminal sees it end.
 * Resolves once they have ended (or after `maxWaitMs`).
 */
export function closeApi(server: Server, maxWaitMs: number, onWaiting: (pushes: number) => void): Promise<void> {
  const { all, pushes } = connections.get(server) ?? { all: new Set<Socket>(), pushes: new Set<Socket>() };
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of all) if (!pushes.has(s)) s.destroy();
    const open = [...pushes].filter((s) => !s.destroyed);
    if (open.length) onWaiting(open.length);
    setTimeout(() => { server.closeAllConnections(); resolve(); }, maxWaitMs).unref();
  });
}
