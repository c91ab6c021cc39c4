// proxy: the HTTP edge server; sends each request (and WebSocket) by Host header to an app instance.
// Its engines: fast/ (raw sockets: the common plain request), pooled/ (undici: the other plain requests), ws/
// (http-proxy: WebSockets); edge/ holds the policy they share (guard, limits, trust, forwarded headers, pages, wake).
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { DEFAULT_ROUTER_TIMEOUT_SECONDS, validateAppName } from '../src/core/index.ts';
import type { Match, RouteTable, Upstream } from '../src/routes/index.ts';
// The edge policy every engine shares.
import { answerChallenge, isAcmeChallenge } from './edge/challenge.ts'; // HTTPS and ACME (certs)
import { startExchange, type Exchange } from './edge/exchange.ts';
import { clientProto } from './edge/forwarded.ts';
import { answerClientError, badRequest, clientError } from './edge/guard.ts';
import { declaredTooLarge, headTooLarge, NODE_MAX_HEADER_SIZE, sendRefusal, type Refusal } from './edge/limits.ts';
import { badRequestPage, noAppPage, sendPage, stoppedPage, wakingPage, type Page } from './edge/pages.ts';
import { originForm } from './edge/target.ts';
import { parseTrustedProxies, trustNobody, type TrustCheck } from './edge/trust.ts';
import { createWaker } from './edge/wake.ts';
// The engines.
import { installFastPath } from './fast/index.ts';
import { createWebForwarder } from './pooled/index.ts';
import { UpstreamPools } from './pooled/pools.ts';
import { handleUpgrade, watchUpgrades, type UpgradeContext } from './ws/index.ts';
import { listenTls, tlsPort, type HttpsOptions } from './tls.ts';

export interface RouterOptions {
  port: number;
  host?: string;
  table: RouteTable;
  /** Apps live at `<app>.<domain>`; only used for hints on the 404 page. */
  domain: string;
  /** Receives one access-log line per request: `method host path status bytes durationMs requestId`, and its app. */
  log?: (line: string, app: string | null) => void;
  /** Upstream idle timeout (ms) before a 504; default 30 s. A route's own `timeoutMs` overrides it. */
  timeoutMs?: number;
  /**
   * Asked to start a `sleeping` app (or a `starting` one with no instance) when a request for it
   * arrives; at most once per second per app, so it must be idempotent. The request is held until
   * table.replace() gives the app an upstream.
   */
  wake?: (app: string) => void;
  /** How long a request for a sleeping app is held before a 503; default 60 s. */
  wakeTimeoutMs?: number;
  /** While a websocket is open, its app counts as used this often (ms; default 10 s), so it never sleeps mid-conversation. */
  openTouchMs?: number;
  /** The same for a `starting` app with no instance yet (a deploy or restart); default 10 s. */
  startingHoldMs?: number;
  /** Called for every request and upgrade routed to an app, in any state: the idleness signal. */
  onRequest?: (app: string) => void;
  /** HTTPS: a TLS listener with each name's certificate, sharing every handler with the plain one (tls.ts). */
  https?: HttpsOptions;
  /** ACME HTTP-01: the key authorization for a token, answered before routing for any host (challenge.ts). */
  challenge?: (token: string) => string | null;
  /**
   * Peers whose X-Forwarded-* are believed (MINICLOUD_TRUSTED_PROXIES syntax: IPs and CIDRs, comma
   * separated; a bad entry throws a UserError). Everyone else's are overwritten.
   */
  trustedProxies?: string;
  /** The public HTTPS port, for the 308 an `httpsOnly` route gives plain HTTP requests; default 443. */
  httpsPort?: number;
  /** Most connections to one app instance at once (more requests queue); default 256. */
  upstreamConnections?: number;
  /**
   * Where ACME HTTP-01 requests go when this router cannot answer them itself: a router worker
   * passes them to the primary's own router, which holds the tokens (cluster.ts).
   */
  challengeVia?: Upstream;
  /** Serve plain requests of the common shape over raw sockets (fast/); default true. Off, Node's server gets them all (tests compare the two). */
  fastPath?: boolean;
}

export interface Router {
  /** The bound port (useful with `port: 0`). */
  port: number;
  /** The HTTPS listener's bound port; null without `https`. */
  httpsPort: number | null;
  close(): Promise<void>;
}

export async function startRouter(opts: RouterOptions): Promise<Router> {
  const { table } = opts;
  const domain = opts.domain.toLowerCase().replace(/^\.+|\.+$/g, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ROUTER_TIMEOUT_SECONDS * 1000;
  const waker = createWaker({
    table,
    wake: opts.wake,
    onRequest: opts.onRequest,
    wakeTimeoutMs: opts.wakeTimeoutMs ?? 60_000,
    startingHoldMs: opts.startingHoldMs ?? 10_000,
  });
  const trust: TrustCheck = opts.trustedProxies ? parseTrustedProxies(opts.trustedProxies) : trustNobody;
  const httpsSuffix = !opts.httpsPort || opts.httpsPort === 443 ? '' : `:${opts.httpsPort}`;
  // Plain requests go through undici's keep-alive pools (several times http-proxy's throughput);
  // http-proxy keeps what it is good at: WebSockets, on their own connections.
  const pools = new UpstreamPools(table, { connections: opts.upstreamConnections });
  // xfwd stays off: http-proxy would append to client-supplied X-Forwarded-*; edge/forwarded.ts sets them.
  const proxy = httpProxy.createProxyServer({ xfwd: false });
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const log = (method: string, path: string, ex: Exchange) => {
    const ms = Math.round(performance.now() - ex.start);
    try {
      opts.log?.(`${method} ${ex.host ?? '-'} ${path} ${ex.status} ${ex.bytes} ${ms} ${ex.id}`, ex.app ?? null);
    } catch {
      // a broken logger must not take the router down
    }
  };

  // Errors arrive through the per-call callbacks (web.ts, upgrade.ts); http-proxy re-throws an
  // 'error' event that has no listener of its own, so this one only keeps it quiet.
  proxy.on('error', () => {});
  /** A request over a size limit (limits.ts): its page, then the connection closes, pipelined requests unanswered. */
  const refuse = (req: IncomingMessage, res: ServerResponse, ex: Exchange, r: Refusal) => {
    refused.add(req.socket);
    ex.bytes = sendRefusal(res, ex.id, r);
  };
  const forward = createWebForwarder({ pools, table, timeoutMs, trust, refuse });
  // The responses under way on each connection (pipelining allows several), for 'clientError'.
  const answering = new WeakMap<Duplex, Set<ServerResponse>>();
  // Connections whose request was refused: they close after the 400, and requests pipelined
  // behind it (a smuggled one, typically) are never answered, let alone passed on.
  const refused = new WeakSet<Duplex>();
  // Each connection's latest request's response: tells 'clientError' whose bytes were bad.
  const latest = new WeakMap<Duplex, ServerResponse>();

  /** One of the router's own answers, with the request id every answer carries. */
  const page = (res: ServerResponse, ex: Exchange, p: Page) => {
    res.setHeader('x-request-id', ex.id);
    ex.bytes = sendPage(res, p);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue = false) => {
    const socket = req.socket;
    if (refused.has(socket)) return;
    let open = answering.get(socket);
    if (!open) answering.set(socket, (open = new Set()));
    open.add(res);
    latest.set(socket, res);
    const ex = startExchange(req);
    // The one 'close' listener per request: bookkeeping, access log, and telling the forwarder.
    res.once('close', () => {
      open.delete(res);
      if (!res.writableFinished) ex.onClientGone?.();
      // 499 (nginx's "client closed request") when the client left before any answer.
      ex.status = res.headersSent ? res.statusCode : 499;
      if (opts.log) log(req.method ?? '-', req.url ?? '-', ex);
    });
    const big = headTooLarge(req);
    if (big) return refuse(req, res, ex, big);
    const bad = badRequest(req);
    if (bad) {
      refused.add(socket);
      return page(res, ex, badRequestPage(bad));
    }
    // `OPTIONS *` asks about the server, not a resource: the router answers it (undici cannot send a `*` target).
    if (req.url === '*') return void res.writeHead(204, { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS', 'x-request-id': ex.id }).end();
    // ACME (certs): HTTP-01 challenges are answered here for any host, before routing.
    const challenged = opts.challenge ? answerChallenge(req, res, opts.challenge) : null;
    if (challenged !== null) return void (ex.bytes = challenged);
    if (opts.challengeVia && isAcmeChallenge(req.url)) {
      return forward(req, res, ex, { app: 'acme', hosts: [], upstreams: [opts.challengeVia], state: 'running' }, opts.challengeVia);
    }

    const match = table.lookup(req.headers.host);
    if (match) ex.app = match.route.app;
    if (match) waker.seen(match.route.app);
    // A declared body over the app's limit is refused before anyone reads it (no 100 Continue either).
    const over = match ? declaredTooLarge(req, match.route) : null;
    if (over) return refuse(req, res, ex, over);
    if (expectsContinue && match) res.writeContinue();
    answer(req, res, ex, match, null);
  };

  /** Proxies, pages, or (once, for an app with no instance yet) holds the request and comes back with `heldMs`. */
  const answer = (req: IncomingMessage, res: ServerResponse, ex: Exchange, match: Match | null, heldMs: number | null): void => {
    if (!match) return page(res, ex, noAppPage(ex.host ?? '-', domain, suggestName(ex.host, domain)));
    const { route, upstream } = match;
    if (route.httpsOnly && heldMs === null && ex.host && !isAcmeChallenge(req.url) && clientProto(req, trust) !== 'https') {
      return redirect(req, res, ex, `https://${ex.host}${httpsSuffix}${originForm(req.url)}`);
    }
    if (route.state === 'stopped') return page(res, ex, stoppedPage(route.app));
    if (upstream) return forward(req, res, ex, route, upstream);
    if (heldMs !== null) {
      page(res, ex, wakingPage(route.app, route.state, heldMs));
      if (!req.complete) req.resume(); // the held body was never read: drain it so the client sees the page
      return;
    }
    // The body stays unread (paused) while held, so it reaches the app intact.
    const left = new AbortController();
    res.once('close', () => left.abort());
    const ms = waker.holdMs(route);
    waker
      .hold(route, left.signal)
      .then((up) => {
        if (left.signal.aborted) return; // the client is gone: nothing to answer
        // No upstream: timed out, or stopped or removed meanwhile; answer for what the table says now.
        answer(req, res, ex, up ? { route, upstream: up } : table.lookup(req.headers.host), ms);
      })
      .catch(() => res.destroy()); // never expected; an unhandled rejection would take the router down
  };

  // Explicitly strict, whatever --insecure-http-parser says: a lenient parser is a smuggling hole.
  // maxHeaderSize: room for the longest head limits.ts allows, which then measures it exactly.
  // requireHostHeader off: the guard refuses a missing Host itself, in turn with pipelined answers
  // (Node's own 400 skips the bookkeeping, and a parse error behind it got a second answer).
  const server = http.createServer({ insecureHTTPParser: false, requireHostHeader: false, maxHeaderSize: NODE_MAX_HEADER_SIZE }, (req, res) => onRequest(req, res));
  // Every field reaches the guard (Node would hide those past the 2,000th: a second Host, say); the size limits bound them.
  server.maxHeadersCount = 0;
  // `Expect: 100-continue`: the 100 goes only to a request that will be passed on.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  // Plain requests of the common shape skip Node's HTTP machinery (fast/); the rest reach onRequest.
  const fast = opts.fastPath === false ? null : installFastPath({ server, table, waker, trust, timeoutMs, log: opts.log ? log : null, challenges: !!(opts.challenge || opts.challengeVia), connections: opts.upstreamConnections });
  server.on('connection', track);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code !== 'ECONNRESET') refused.add(socket);
    clientError(err, socket, [...(answering.get(socket) ?? [])], latest.get(socket));
  });
  // Accept errors (e.g. EMFILE) are emitted on the server; unhandled they would crash it.
  const swallow = () => {};
  const ctx: UpgradeContext = { table, proxy, exchanges, track, log, target, timeoutMs, waker, trust, openTouchMs: opts.openTouchMs ?? 10_000 };
  watchUpgrades(ctx);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(ctx, req, socket, head));
  // CONNECT: the router is no forward proxy (without a listener Node would drop the connection unanswered).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => answerClientError(Object.assign(new Error('CONNECT'), { code: 'CONNECT' }), socket, false));

  let secure: Awaited<ReturnType<typeof listenTls>> | null = null; // the HTTPS listener (certs)
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      secure?.close();
      for (const s of sockets) s.destroy();
      void pools.close();
      fast?.close();
      proxy.close();
    }));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        server.on('error', swallow);
        resolve();
      });
    });
  } catch (e) {
    await close();
    throw e;
  }
  // HTTPS (certs): last, so the TLS listener gets every handler registered above.
  if (opts.https) secure = await listenTls(opts.https, opts.host, server, track).catch(async (e: unknown) => { await close(); throw e; });
  return { port: (server.address() as AddressInfo).port, httpsPort: secure ? tlsPort(secure) : null, close };
}

/** The 308 of an https-only app (method and body kept by the client); the unread body is drained. */
function redirect(req: IncomingMessage, res: ServerResponse, ex: Exchange, location: string): void {
  res.writeHead(308, { location, 'content-length': 0, 'x-request-id': ex.id });
  res.end();
  if (!req.complete) req.resume();
}

function target(u: Upstream) {
  return { protocol: 'http:', host: u.host, port: u.port };
}

/** `foo.<domain>` → `foo`, when that would be a valid app name, for a copy-pasteable hint. */
function suggestName(host: string | null, domain: string): string | null {
  if (!host || !domain || !host.endsWith(`.${domain}`)) return null;
  try {
    return validateAppName(host.slice(0, -domain.length - 1));
  } catch {
    return null;
  }
}
