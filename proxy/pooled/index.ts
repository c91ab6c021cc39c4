// The pooled engine: plain HTTP requests Node's server parsed, to an app's instances over undici's keep-alive pools,
// streamed both ways, and tried on the route's other instances while none of it reached an app (edge/retry.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Route, RouteTable, Upstream } from '../../src/routes/index.ts';
import { routerStats } from '../edge/dispatch.ts';
import type { Exchange } from '../edge/exchange.ts';
import { upstreamRequestHeaders } from '../edge/forwarded.ts';
import { requestFraming, responseHeaderList } from '../edge/hop.ts';
import { bodyLimit, bodyRefusal, type Refusal } from '../edge/limits.ts';
import { busyPage, notAnsweringPage, sendPage, timedOutPage } from '../edge/pages.ts';
import type { UpstreamPools } from './pools.ts';
import type { Waiter, WaitQueue } from './queue.ts';
import { fallbacks, tryAgain } from '../edge/retry.ts';
import { originForm } from '../edge/target.ts';
import { idleTimeout, isTimeout } from '../edge/timeout.ts';
import type { TrustCheck } from '../edge/trust.ts';

export interface WebContext {
  pools: UpstreamPools;
  table: RouteTable;
  /** The router's default upstream idle timeout (ms); a route's own `timeoutMs` wins. */
  timeoutMs: number;
  trust: TrustCheck;
  /** Answers a refusal (a body over the app's limit) and closes the connection. */
  refuse: (req: IncomingMessage, res: ServerResponse, ex: Exchange, r: Refusal) => void;
}

// Errors that, before the request was handed to a connection, mean no app saw it (the connection never came up).
const UNREACHED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
// A chunked body that passes its app's limit: the try is cut off and the client gets a 413.
const BODY_TOO_LARGE = 'MINICLOUD_BODY_TOO_LARGE';

export type WebForwarder = (req: IncomingMessage, res: ServerResponse, ex: Exchange, route: Route, upstream: Upstream) => void;

export function createWebForwarder(ctx: WebContext): WebForwarder {
  return (req, res, ex, route, first) => {
    routerStats.pooled++;
    // An absolute-form target (`http://host/path`): the app gets the origin form, as from any proxy.
    const path = originForm(req.url);
    const framing = requestFraming(req);
    const flight: Flight = {
      ctx, req, res, ex, route, path, current: null, rest: null,
      hasBody: framing !== 'none',
      // A declared length was checked against the limit already (proxy/index.ts); a chunked one is counted as it comes.
      limit: framing === 'chunked' ? bodyLimit(route) : 0,
      received: 0,
      timeout: (ex.timeoutMs = route.timeoutMs ?? ctx.timeoutMs),
      headers: [...upstreamRequestHeaders(req, ex.id, ctx.trust) as string[], ...Object.entries(route.upstreamHeaders ?? {}).flat()],
    };
    // The client left: the upstream request goes too, whatever state it is in.
    ex.onClientGone = () => flight.current?.leave();
    new Attempt(flight, first);
  };
}

/** One request on its way, across its tries. */
interface Flight {
  ctx: WebContext;
  req: IncomingMessage;
  res: ServerResponse;
  ex: Exchange;
  route: Route;
  path: string;
  hasBody: boolean;
  /** Most chunked body bytes to pass on; 0: not counted. */
  limit: number;
  received: number;
  timeout: number;
  headers: string[];
  current: Attempt | null;
  /** The route's other upstreams, once a try was refused. */
  rest: Upstream[] | null;
}

/**
 * One try on one upstream, as an undici dispatch handler. A class, not closures: the router
 * makes one per request, and tsx's keep-names wrapping makes every named closure cost more.
 */
class Attempt implements Dispatcher.DispatchHandlers, Waiter {
  private abort: ((err?: Error) => void) | null = null;
  private gone = false;
  /** Waiting for a connection (in `queue`, bounded); `over`: it waited its most and the client got the 503. */
  waiting = false;
  private over = false;
  private readonly queue: WaitQueue;
  /** Whether a connection took the request (from then on it may have reached the app). */
  private sent = false;
  private resume: (() => void) | null = null;
  /** A body flows through a per-try stream, and only once a connection took the request. */
  private readonly body: PassThrough | null;
  // The upstream idle timer: one per try, re-armed only when it fires, from the time of the last
  // sign of life (cheaper than resetting it on every chunk). undici's own timers tick once a
  // second: too coarse for a short per-app timeout.
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  // Made when first needed: most requests have no body and never wait for a slow client.
  private onDrain: (() => void) | null = null;
  private alive: ((chunk: Buffer) => void) | null = null;

  constructor(private readonly f: Flight, private readonly upstream: Upstream) {
    f.current = this;
    // A refused try leaves the request unread for the next upstream, and a failed one never
    // destroys the client's own request (undici destroys the body it was given).
    this.body = f.hasBody ? new PassThrough() : null;
    const opts: Dispatcher.DispatchOptions = {
      path: f.path,
      method: f.req.method as Dispatcher.HttpMethod,
      headers: f.headers,
      body: this.body,
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    const { pool, queue } = f.ctx.pools.get(upstream);
    this.queue = queue;
    if (queue.enter(this, performance.now())) pool.dispatch(opts, this);
    else this.expired(null);
  }

  leave(): void {
    this.gone = true;
    this.queue.leave(this);
    this.abort?.();
  }

  /** No connection took it in time (waitedMs), or too many wait already (null): the app is busy; nothing reached it. */
  expired(waitedMs: number | null): void {
    this.over = true;
    routerStats.queueRefused++;
    const { req, res, ex, route } = this.f;
    if (this.gone || res.headersSent) return;
    res.setHeader('x-request-id', ex.id);
    ex.bytes = sendPage(res, busyPage(route.app, waitedMs));
    if (!req.complete) req.resume();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.queue.leave(this);
    if (this.gone || this.over) return abort(); // undici still held it: it goes without reaching the app
    this.sent = true;
    this.last = performance.now();
    this.timer = setTimeout(checkIdle, this.f.timeout, this);
    if (this.body) this.f.req.on('data', (this.alive = (chunk: Buffer) => this.arrived(chunk))).pipe(this.body);
  }

  /** A piece of the client's body: a sign of life, and counted against the app's limit. */
  private arrived(chunk: Buffer): void {
    this.last = performance.now();
    const f = this.f;
    if (f.limit > 0 && (f.received += chunk.length) > f.limit) {
      // Cut before the body ends: the app sees an aborted request, never a whole one.
      this.abort?.(Object.assign(new Error('request body over the limit'), { code: BODY_TOO_LARGE }));
    }
  }

  /** The idle timer fired: the app has been silent for the whole timeout, or it is re-armed for the rest. */
  check(): void {
    const idle = performance.now() - this.last;
    const { timeout } = this.f;
    if (idle < timeout) this.timer = setTimeout(checkIdle, timeout - idle, this);
    else this.abort?.(idleTimeout(timeout));
  }

  onHeaders(status: number, raw: Buffer[] | string[] | null, resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx (e.g. 103 Early Hints): not relayed
    if (badCoding(raw as Buffer[] | null)) {
      this.abort?.(new Error('the app framed its response with a coding other than chunked'));
      return false;
    }
    this.resume = resume;
    this.last = performance.now();
    writeHead(this.f.res, status, statusText, (raw ?? []) as Buffer[], this.f.ex.id);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.f.ex.bytes += chunk.length;
    this.last = performance.now();
    if (this.f.res.write(chunk)) return true;
    this.f.res.once('drain', (this.onDrain ??= () => this.resume?.())); // undici stops reading the app until the client caught up
    return false;
  }

  onComplete(): void {
    this.settle();
    this.f.res.end();
  }

  onError(err: Error): void {
    this.settle();
    this.queue.leave(this);
    if (this.over) return; // answered already: the app was busy
    const { f } = this;
    const { req, res, ex, ctx } = f;
    if (this.gone || req.socket.destroyed) return void res.destroy(); // the client left: no one to answer
    if ((err as NodeJS.ErrnoException).code === BODY_TOO_LARGE) {
      if (res.headersSent) return void res.destroy();
      return ctx.refuse(req, res, ex, bodyRefusal(f.limit));
    }
    // undici tells whether the connection came up; stale kept-alive ones are avoided instead (pools close idle ones first).
    if (tryAgain({ unreached: !this.sent && UNREACHED.has((err as NodeJS.ErrnoException).code ?? '') }) === 'next') {
      const next = (f.rest = fallbacks(ctx.table, f.route, this.upstream, f.rest, (err as NodeJS.ErrnoException).code)).shift();
      if (next) return void new Attempt(f, next);
    }
    if (res.headersSent) return void res.destroy(); // too late for a page: the client sees a broken response
    res.setHeader('x-request-id', ex.id);
    ex.bytes = sendPage(res, isTimeout(err) ? timedOutPage(f.route.app, f.timeout) : notAnsweringPage(f.route.app));
    // Drain what is left of an unsent body so the client reads our page and the connection
    // stays usable, instead of stalling on a paused upload.
    if (!req.complete) req.resume();
  }

  private settle(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.onDrain) this.f.res.off('drain', this.onDrain);
    if (this.body) {
      if (this.alive) this.f.req.off('data', this.alive);
      this.f.req.unpipe(this.body);
    }
  }
}

/**
 * A response Transfer-Encoding other than one plain `chunked` (a list, two lines, gzip): undici
 * would read such a body as chunked or up to the close, and the client would get it undecoded and
 * unlabelled. A 502, as on the fast path (../fast/head.ts).
 */
function badCoding(raw: Buffer[] | null): boolean {
  let seen = 0;
  for (let i = 0; raw && i < raw.length; i += 2) {
    if (raw[i]!.length !== 17 || raw[i]!.toString('latin1').toLowerCase() !== 'transfer-encoding') continue;
    if (++seen > 1 || raw[i + 1]!.toString('latin1').trim().toLowerCase() !== 'chunked') return true;
  }
  return false;
}

function checkIdle(a: Attempt): void {
  a.check();
}

/** The app's status and end-to-end headers; Node picks the framing towards the client. */
function writeHead(res: ServerResponse, status: number, statusText: string, raw: Buffer[], id: string): void {
  const headers = responseHeaderList(raw, id);
  try {
    // HTTP/2 has no reason phrase (Node warns once if given one).
    res.writeHead(status, res.req?.httpVersionMajor === 2 ? undefined : statusText || undefined, headers);
  } catch {
    // A header Node refuses to send (or an odd status text) costs that header, not the response.
    res.statusCode = status;
    for (let i = 0; i < headers.length; i += 2) {
      try {
        res.appendHeader(headers[i]!, headers[i + 1]!);
      } catch {
        // dropped
      }
    }
  }
}
