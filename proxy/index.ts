// proxy: the HTTP edge server; sends each request (and WebSocket) by Host header to an app instance.
// Its engines: fast/ (raw sockets: the common plain request), pooled/ (undici: the other plain requests, after the edge
// policy in requests.ts), ws/ (http-proxy: WebSockets), h2/ (HTTP/2 sessions on the HTTPS port, into requests.ts);
// edge/ holds the policy they share (guard, limits, trust, forwarded headers, pages, ACME, wake) and dispatch, which
// says which engine serves a request and why.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_ROUTER_TIMEOUT_SECONDS } from '../src/core/index.ts';
import type { RouteTable } from '../src/routes/index.ts';
import { accessLine, type Exchange } from './edge/exchange.ts';
import { answerClientError } from './edge/guard.ts';
import { LISTEN_BACKLOG, NODE_MAX_HEADER_SIZE } from './edge/limits.ts';
import { parseTrustedProxies, trustNobody, type TrustCheck } from './edge/trust.ts';
import { startProber } from './edge/probe.ts';
import { createWaker } from './edge/wake.ts';
import { installFastPath } from './fast/index.ts';
import { serveH2, type H2Engine } from './h2/index.ts';
import { UpstreamPools } from './pooled/pools.ts';
import { createRequestHandler } from './requests.ts';
import { listenTls, tlsPort, type HttpsOptions } from './tls.ts';
import { createWsEngine } from './ws/index.ts';

export interface RouterOptions {
  port: number;
  host?: string;
  table: RouteTable;
  /** Apps live at `<app>.<domain>`; only used for hints on the 404 page. */
  domain: string;
  /** Receives one access-log line per request: `method host path status bytes durationMs requestId client "user agent"`, and its app. */
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
  /** Whether minicloud is there to wake a sleeping app (the router daemon knows); default yes. */
  controlPlane?: () => boolean;
  /** While a websocket is open, its app counts as used this often (ms; default 10 s), so it never sleeps mid-conversation. */
  openTouchMs?: number;
  /** The same for a `starting` app with no instance yet (a deploy or restart); default 10 s. */
  startingHoldMs?: number;
  /** Receives a line when an instance goes out of rotation (unreachable) or comes back, and its app (the daemon logs it beside its access log). */
  health?: (line: string, app: string) => void;
  /** Called for every request and upgrade routed to an app, in any state: the idleness signal. */
  onRequest?: (app: string) => void;
  /** HTTPS: a TLS listener with each name's certificate, sharing every handler with the plain one (tls.ts). */
  https?: HttpsOptions;
  /** ACME HTTP-01: the key authorization for a token, answered before routing for any host (edge/challenge.ts). */
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
  /** Past them, how many requests may wait for a connection to an instance, and how long (ms), before a 503; default 4,096 and 10 s. */
  upstreamQueue?: { max: number; ms: number };
  /** HTTP/2: how long a quiet session lives (idle, or owed by a client that stopped reading); default 60 s. */
  h2IdleMs?: number;
  /** Serve plain requests of the common shape over raw sockets (fast/); default true. Off, Node's server gets them all (tests compare the two). */
  fastPath?: boolean;
}

export interface Router {
  /** The bound port (useful with `port: 0`). */
  port: number;
  /** The HTTPS listener's bound port; null without `https`. */
  httpsPort: number | null;
  /** New TLS session ticket keys (48 bytes) for the HTTPS listener; tickets made with the old ones no longer resume. */
  setTicketKeys(keys: Buffer): void;
  close(): Promise<void>;
  /**
   * Stops accepting (another process already listens on the same ports), answers every request under
   * way with `Connection: close`, and resolves once every connection has ended, or after `maxMs`,
   * when the rest (long polls, websockets) are cut.
   */
  drain(maxMs: number): Promise<void>;
}

export async function startRouter(opts: RouterOptions): Promise<Router> {
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  let draining = false;
  const { server, pools, fast, ws, requests } = createEngines(opts, track, () => draining);
  const prober = startProber(opts.table);
  const unwatch = opts.table.onHealth((app, u, why) => {
    const line = why === null ? `instance ${u.host}:${u.port} back in rotation: it answers again`
      : `instance ${u.host}:${u.port} out of rotation (${why}): requests go to the app's other instances until it answers`;
    try {
      opts.health?.(line, app);
    } catch {
      // a broken logger must not take the router down
    }
  });

  let secure: Awaited<ReturnType<typeof listenTls>> | null = null; // the HTTPS listener (certs)
  let h2: H2Engine | null = null; // its HTTP/2 sessions
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      prober.close();
      unwatch();
      server.close(() => resolve());
      secure?.close();
      h2?.close();
      for (const s of sockets) s.destroy();
      void pools.close();
      fast?.close();
      ws.close();
    }));
  const drain = async (maxMs: number): Promise<void> => {
    draining = true;
    fast?.drain();
    h2?.drain();
    // net.Server's close, not http.Server's: that one also closes idle kept-alive connections at once,
    // racing a client that is just sending its next request on one. Idle ones end by the keep-alive
    // timeout instead, which clients expect (Keep-Alive: timeout=5).
    net.Server.prototype.close.call(server);
    if (secure) net.Server.prototype.close.call(secure);
    const deadline = Date.now() + maxMs;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await close();
  };

  await listen(server, opts).catch(async (e: unknown) => { await close(); throw e; });
  // HTTPS (certs): last, so the TLS listener gets every handler registered above.
  if (opts.https) secure = await listenTls(opts.https, opts.host, server, track).catch(async (e: unknown) => { await close(); throw e; });
  // HTTP/1.1 over TLS takes the fast path too (before the HTTP/2 switch, which keeps the h2 connections for itself).
  if (secure && fast) fast.serveTls(secure);
  if (secure) h2 = serveH2(secure, { request: (req, res, expects) => requests.request(req, res, expects), websocket: (req, res) => ws.upgradeH2(req, res), ...(opts.h2IdleMs !== undefined && { idleMs: opts.h2IdleMs }) });
  const setTicketKeys = (keys: Buffer) => secure?.setTicketKeys(keys);
  return { port: (server.address() as AddressInfo).port, httpsPort: secure ? tlsPort(secure) : null, setTicketKeys, close, drain };
}

/** The policy every engine shares, made once from the options: the waker, whom to trust, the access log. */
function edgeParts(opts: RouterOptions) {
  const waker = createWaker({
    table: opts.table,
    wake: opts.wake,
    onRequest: opts.onRequest,
    wakeTimeoutMs: opts.wakeTimeoutMs ?? 60_000,
    startingHoldMs: opts.startingHoldMs ?? 10_000,
    controlPlane: opts.controlPlane,
  });
  const trust: TrustCheck = opts.trustedProxies ? parseTrustedProxies(opts.trustedProxies) : trustNobody;
  const log = (method: string, path: string, ex: Exchange) => {
    const ms = Math.round(performance.now() - ex.start);
    try {
      opts.log?.(accessLine(method, path, ex, ms), ex.app ?? null);
    } catch {
      // a broken logger must not take the router down
    }
  };
  return { waker, trust, log, timeoutMs: opts.timeoutMs ?? DEFAULT_ROUTER_TIMEOUT_SECONDS * 1000 };
}

/** The plain listener with its engines: the fast path, Node's parser with the edge policy and the pooled engine, websockets. */
function createEngines(opts: RouterOptions, track: (s: Duplex) => void, draining: () => boolean) {
  const { table } = opts;
  const { waker, trust, log, timeoutMs } = edgeParts(opts);
  const domain = opts.domain.toLowerCase().replace(/^\.+|\.+$/g, '');
  const httpsSuffix = !opts.httpsPort || opts.httpsPort === 443 ? '' : `:${opts.httpsPort}`;
  // Plain requests go through undici's keep-alive pools (several times http-proxy's throughput);
  // http-proxy keeps what it is good at: WebSockets, on their own connections.
  const pools = new UpstreamPools(table, { connections: opts.upstreamConnections, ...(opts.upstreamQueue && { queue: opts.upstreamQueue }) });
  const requests = createRequestHandler({
    table, domain, pools, timeoutMs, trust, waker, httpsSuffix, challenge: opts.challenge, controlPlane: opts.controlPlane, draining, log: opts.log ? log : null,
  });

  // Explicitly strict, whatever --insecure-http-parser says: a lenient parser is a smuggling hole.
  // maxHeaderSize: room for the longest head limits.ts allows, which then measures it exactly.
  // requireHostHeader off: the guard refuses a missing Host itself, in turn with pipelined answers
  // (Node's own 400 skips the bookkeeping, and a parse error behind it got a second answer).
  const server = http.createServer({ insecureHTTPParser: false, requireHostHeader: false, maxHeaderSize: NODE_MAX_HEADER_SIZE }, (req, res) => requests.request(req, res));
  // Every field reaches the guard (Node would hide those past the 2,000th: a second Host, say); the size limits bound them.
  server.maxHeadersCount = 0;
  // `Expect: 100-continue`: the 100 goes only to a request that will be passed on.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => requests.request(req, res, true));
  // Plain requests of the common shape skip Node's HTTP machinery (fast/); the rest reach requests.ts.
  const fast = opts.fastPath === false ? null : installFastPath({ server, table, waker, trust, timeoutMs, log: opts.log ? log : null, challenges: !!opts.challenge, connections: opts.upstreamConnections, queue: opts.upstreamQueue });
  server.on('connection', track);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => requests.clientError(err, socket));
  const ws = createWsEngine({ table, track, log, timeoutMs, waker, trust, openTouchMs: opts.openTouchMs ?? 10_000 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => ws.upgrade(req, socket, head));
  // CONNECT: the router is no forward proxy (without a listener Node would drop the connection unanswered).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => answerClientError(Object.assign(new Error('CONNECT'), { code: 'CONNECT' }), socket, false));
  return { server, pools, fast, ws, requests };
}

/** Listens on the plain port; once listening, accept errors (e.g. EMFILE, emitted on the server) are swallowed, unhandled they would crash it. */
function listen(server: http.Server, opts: RouterOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      server.on('error', () => {});
      resolve();
    });
  });
}
