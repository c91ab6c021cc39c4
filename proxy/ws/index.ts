// The websocket engine: HTTP Upgrade requests (and HTTP/2 extended CONNECTs, h2.ts), routed by Host as plain requests are, relayed over raw sockets by http-proxy.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { pageOnly, type RouteTable, type Upstream } from '../../src/routes/index.ts';
import { routerStats } from '../edge/dispatch.ts';
import { startExchange, type Exchange } from '../edge/exchange.ts';
import { setForwardedHeaders } from '../edge/forwarded.ts';
import { badRequest } from '../edge/guard.ts';
import { headTooLarge } from '../edge/limits.ts';
import { stripHopByHop } from '../edge/hop.ts';
import { limitConnect, neverConnected, tryAgain } from '../edge/retry.ts';
import { idleTimeout, isTimeout } from '../edge/timeout.ts';
import { openH2, refuseH2 } from './h2.ts';
import type { TrustCheck } from '../edge/trust.ts';
import type { Waker } from '../edge/wake.ts';

export interface WsOptions {
  table: RouteTable;
  /** Registers a socket that close() must destroy. */
  track: (s: Duplex) => void;
  log: (method: string, path: string, ex: Exchange) => void;
  /** Bounds the wait for the app's answer to the upgrade (unless the route has its own); http-proxy clears it once upgraded. */
  timeoutMs: number;
  waker: Waker;
  /** Peers whose forwarded headers are believed (see edge/trust.ts). */
  trust: TrustCheck;
  /** How often an open websocket tells the sleeper its app is in use. */
  openTouchMs: number;
}

interface UpgradeContext extends WsOptions {
  proxy: httpProxy;
  exchanges: WeakMap<IncomingMessage, Exchange>;
}

export interface WsEngine {
  /** The server's 'upgrade'. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** An HTTP/2 extended CONNECT (RFC 8441) for a websocket: the h2 engine's. */
  upgradeH2(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

export function createWsEngine(o: WsOptions): WsEngine {
  // xfwd stays off: http-proxy would append to client-supplied X-Forwarded-*; edge/forwarded.ts sets them.
  const proxy = httpProxy.createProxyServer({ xfwd: false });
  // Errors arrive through the per-call callbacks; http-proxy re-throws an 'error' event that has
  // no listener of its own, so this one only keeps it quiet.
  proxy.on('error', () => {});
  const ctx: UpgradeContext = { ...o, proxy, exchanges: new WeakMap() };
  watchUpgrades(ctx);
  return {
    upgrade: (req, socket, head) => handleUpgrade(ctx, req, h1Client(ctx, socket, head)),
    upgradeH2: (req, res) => handleUpgrade(ctx, req, h2Client(ctx, req, res)),
    close: () => proxy.close(),
  };
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 414: 'URI Too Long', 431: 'Request Header Fields Too Large', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** Installs the proxy-wide listeners upgrades need; call once per proxy. */
function watchUpgrades(ctx: UpgradeContext): void {
  ctx.proxy.on('proxyReqWs', (proxyReq, req) => {
    const ex = ctx.exchanges.get(req);
    armTimeout(proxyReq, ex?.timeoutMs ?? ctx.timeoutMs);
    limitConnect(proxyReq); // a dead node's instance: a 502 in 3 s (and out of rotation), not a 504 after the idle timeout
    proxyReq.once('response', (res) => {
      if (ex) ex.status = res.statusCode ?? 0; // the app declined the upgrade; http-proxy relays its answer
      // It relays the head as is but the body decoded, then closes: none of the app's framing may go with it.
      stripHopByHop(res.headers);
      res.headers.connection = 'close';
    });
    // Registered before http-proxy's own 'upgrade' listener, so the header edit reaches the 101.
    proxyReq.once('upgrade', (proxyRes, proxySocket: Duplex) => {
      stripHopByHop(proxyRes.headers, true);
      if (ex) {
        ex.status = 101;
        proxyRes.headers['x-request-id'] = ex.id;
      }
      ctx.track(proxySocket);
      // http-proxy only ends the other side on a clean end or an error; tie the two lifetimes.
      const client = req.socket;
      proxySocket.once('close', () => client.destroy());
      client.once('close', () => proxySocket.destroy());
    });
  });
}

/**
 * A websocket's client side: an HTTP/1.1 Upgrade on its socket, or an RFC 8441 extended CONNECT on an HTTP/2 stream
 * (h2.ts). Both get the same checks, routing, holding, forwarded headers and log line (handleUpgrade).
 */
interface WsClient {
  /** Closes when the websocket (or its refusal) is over. */
  readonly socket: Duplex;
  /** Whether the request asks for a websocket the way its protocol says to. */
  asks(req: IncomingMessage): boolean;
  refuse(ex: Exchange, status: number, retryAfter?: number): void;
  /** Opens the websocket to the app: the request's headers are already the app's. */
  forward(req: IncomingMessage, ex: Exchange, upstream: Upstream): void;
  /** Bytes sent to the client so far. */
  bytes(): number;
}

function h1Client(ctx: UpgradeContext, socket: Duplex, head: Buffer): WsClient {
  return {
    socket,
    // http-proxy would silently drop anything but a GET websocket upgrade; say so instead.
    asks: (req) => req.method === 'GET' && req.headers.upgrade?.toLowerCase() === 'websocket',
    refuse: (ex, status, retryAfter) => refuse(socket, ex, status, retryAfter ? `Retry-After: ${retryAfter}\r\n` : ''),
    forward: (req, ex, upstream) => forward(ctx, req, socket, head, ex, upstream),
    bytes: () => bytesWritten(socket),
  };
}

function h2Client(ctx: UpgradeContext, req: IncomingMessage, res: ServerResponse): WsClient {
  const sent = { bytes: 0 };
  const path = req.url ?? '/'; // read now: the forwarded headers' step drops the pseudo-headers it comes from
  return {
    socket: (req as unknown as { stream: Duplex }).stream,
    asks: (r) => r.method === 'CONNECT' && r.headers[':protocol'] === 'websocket',
    refuse: (ex, status, retryAfter) => refuseH2(res, ex, status, retryAfter),
    forward: (r, ex, upstream) => {
      routerStats.ws++;
      openH2(r, res, ex, upstream, { path, track: ctx.track, sent, unreached: (why) => ctx.table.suspect(upstream, why) });
    },
    bytes: () => sent.bytes,
  };
}

function handleUpgrade(ctx: UpgradeContext, req: IncomingMessage, client: WsClient): void {
  const socket = client.socket;
  // Node detaches its own error handling from upgraded sockets; an unhandled one would crash us.
  socket.on('error', () => socket.destroy());
  const ex = startExchange(req, ctx.trust);
  ctx.exchanges.set(req, ex);
  const written = client.bytes();
  const [method, url] = [req.method ?? '-', req.url ?? '-'];
  socket.once('close', () => {
    ex.bytes = client.bytes() - written;
    ctx.log(method, url, ex);
  });

  const big = headTooLarge(req);
  if (big) return client.refuse(ex, big.status);
  if (badRequest(req)) return client.refuse(ex, 400);
  const match = ctx.table.lookup(req.headers.host);
  if (!match) return client.refuse(ex, 404);
  ex.app = match.route.app;
  ctx.waker.seen(match.route.app);
  // Idleness is counted from request starts: an open websocket is use too, however long it stays quiet.
  const app = match.route.app;
  const touch = setInterval(() => ctx.waker.seen(app), ctx.openTouchMs);
  touch.unref();
  socket.once('close', () => clearInterval(touch));
  if (!client.asks(req)) return client.refuse(ex, 400);
  const { route, upstream } = match;
  if (pageOnly(route)) return client.refuse(ex, route.state === 'undeployed' ? 404 : 503);
  ex.timeoutMs = route.timeoutMs ?? ctx.timeoutMs;
  const go = (up: Upstream) => {
    stripHopByHop(req.headers, true); // before the forwarded headers, which the Connection header must not remove
    setForwardedHeaders(req, ex.id, ctx.trust);
    Object.assign(req.headers, route.upstreamHeaders); // the route's own (Route.upstreamHeaders), after any client copy was dropped
    client.forward(req, ex, up);
  };
  if (upstream) return go(upstream);

  // Held like a plain request; Node leaves an upgraded socket unread, so early client bytes wait too.
  const left = new AbortController();
  socket.once('close', () => left.abort());
  ctx.waker
    .hold(route, left.signal)
    .then((up) => {
      if (left.signal.aborted) return; // the client is gone
      if (up) go(up);
      else client.refuse(ex, 503, 5);
    })
    .catch(() => socket.destroy());
}

function forward(ctx: UpgradeContext, req: IncomingMessage, socket: Duplex, head: Buffer, ex: Exchange, upstream: Upstream): void {
  routerStats.ws++;
  ctx.proxy.ws(req, socket, head, { target: { protocol: 'http:', host: upstream.host, port: upstream.port } }, (err) => {
    // A refused connection: the instance is skipped for a while, as for plain requests. The upgrade itself is not
    // tried again: http-proxy ends the client's socket after this callback.
    if (tryAgain({ unreached: neverConnected(err) }) === 'next') ctx.table.suspect(upstream, (err as NodeJS.ErrnoException).code);
    if (ex.status === 0) refuse(socket, ex, isTimeout(err) ? 504 : 502);
    else socket.destroy();
  });
}

/** A bare HTTP answer on a socket that left the HTTP server; flushed, then the socket is destroyed. */
function refuse(socket: Duplex, ex: Exchange, status: number, extraHeaders = ''): void {
  ex.status = status;
  if (!socket.writable) return void socket.destroy();
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\nX-Request-Id: ${ex.id}\r\n${extraHeaders}\r\n`;
  socket.end(head, () => socket.destroy());
}

function bytesWritten(socket: Duplex): number {
  return (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
}

/**
 * Our own idle timer instead of http-proxy's `proxyTimeout`: that one aborts with a plain
 * ECONNRESET, which cannot be told apart from a crashed app (502 vs 504).
 */
function armTimeout(proxyReq: ClientRequest, ms: number): void {
  proxyReq.setTimeout(ms, () => proxyReq.destroy(idleTimeout(ms)));
}
