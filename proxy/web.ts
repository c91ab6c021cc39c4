// Plain HTTP requests to an app's instances, retried on the route's other instances while none of it reached an app.
import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type httpProxy from 'http-proxy';
import type { Route, RouteTable, Upstream } from '../src/router/index.ts';
import { armTimeout, isTimeout, setForwardedHeaders, type Exchange } from './forward.ts';
import { copyResponseHead, frameUpstream, requestFraming, stripHopByHop, type Framing } from './hop.ts';
import { notAnsweringPage, sendPage, timedOutPage } from './pages.ts';

export interface WebContext {
  proxy: httpProxy;
  agent: Agent;
  table: RouteTable;
  exchanges: WeakMap<IncomingMessage, Exchange>;
  target: (u: Upstream) => object;
  /** The router's default upstream idle timeout (ms); a route's own `timeoutMs` wins. */
  timeoutMs: number;
}

/** One try on one upstream. The request only flows into `body` once the connection is up. */
interface Attempt {
  upstream: Upstream;
  /** What http-proxy pipes upstream in place of the request itself. */
  body: PassThrough;
  socket: Socket | null;
  /** socket.bytesWritten when the request was let through; null while it is held back. */
  sentFrom: number | null;
}

interface Flight {
  attempt: Attempt;
  framing: Framing;
}

// Errors that, before any byte of the request went out, mean no app saw it.
const UNREACHED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

export type WebForwarder = (req: IncomingMessage, res: ServerResponse, ex: Exchange, route: Route, upstream: Upstream) => void;

export function createWebForwarder(ctx: WebContext): WebForwarder {
  const flights = new WeakMap<IncomingMessage, Flight>();

  // http-proxy pipes `buffer` into the upstream request from the start, and a refused connection
  // would swallow what it read. The request is held back until connected instead: a refused try
  // then leaves the body unread, for the next upstream.
  ctx.proxy.on('proxyReq', (proxyReq, req, _res, options) => {
    const flight = flights.get(req);
    const a = flight?.attempt;
    if (!flight || !a || options.buffer !== a.body) return;
    armTimeout(proxyReq, ctx.exchanges.get(req)?.timeoutMs ?? ctx.timeoutMs);
    frameUpstream(proxyReq, flight.framing);
    const socket = proxyReq.socket as Socket;
    a.socket = socket;
    const release = () => {
      a.sentFrom = socket.bytesWritten;
      req.pipe(a.body);
    };
    if (socket.connecting) socket.once('connect', release);
    else release(); // a kept-alive connection
  });

  ctx.proxy.on('proxyRes', (proxyRes, req, res) => {
    const ex = ctx.exchanges.get(req);
    copyResponseHead(proxyRes, res, ex?.id);
    if (ex) proxyRes.on('data', (chunk: Buffer) => (ex.bytes += chunk.length));
    // An app that dies mid-body: without this the client would wait for the rest forever.
    proxyRes.once('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
    proxyRes.pipe(res);
  });

  return (req, res, ex, route, first) => {
    const framing = requestFraming(req);
    stripHopByHop(req.headers); // before the forwarded headers, which `Connection: X-Forwarded-For` must not remove
    setForwardedHeaders(req, ex.id);
    // Node already answered any `Expect: 100-continue`; forwarding it would also stop
    // http-proxy from emitting 'proxyReq', and with it our timeout and framing.
    delete req.headers.expect;
    ex.timeoutMs = route.timeoutMs ?? ctx.timeoutMs;
    let rest: Upstream[] | null = null;

    const attempt = (upstream: Upstream): void => {
      const a: Attempt = { upstream, body: new PassThrough(), socket: null, sentFrom: null };
      const flight: Flight = { attempt: a, framing };
      flights.set(req, flight);
      const options = { target: ctx.target(upstream), agent: ctx.agent, buffer: a.body, selfHandleResponse: true };
      ctx.proxy.web(req, res, options, (err) => {
        // http-proxy leaves each try's listeners on the request: only the current try may answer.
        if (flights.get(req)?.attempt !== a) return;
        if (req.socket.destroyed) return void res.destroy(); // the client left: no one to answer or retry for
        if (unreached(err, a, framing)) {
          ctx.table.suspect(upstream);
          const next = (rest ??= ctx.table.fallbacks(route, first)).shift();
          if (next) {
            req.unpipe(a.body);
            return attempt(next);
          }
        }
        if (res.headersSent) return void res.destroy(); // too late for a page: the client sees a broken response
        ex.bytes = sendPage(res, isTimeout(err) ? timedOutPage(route.app, ex.timeoutMs!) : notAnsweringPage(route.app));
        // Drain what is left of an unsent body so the client reads our page and the
        // connection stays usable, instead of stalling on a paused upload.
        req.unpipe(a.body);
        if (!req.complete) req.resume();
      });
    };
    attempt(first);
  };
}

/**
 * Whether the failed try left the request untouched: the connection never came up (the body
 * was never read), or, for a request without a body, not one byte went out on it.
 */
function unreached(err: unknown, a: Attempt, framing: Framing): boolean {
  if (!UNREACHED.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return false;
  if (a.sentFrom === null) return true;
  return framing === 'none' && a.socket?.bytesWritten === a.sentFrom;
}
