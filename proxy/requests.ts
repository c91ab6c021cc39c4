// The requests Node's HTTP server parsed (all the fast path leaves, and HTTPS): the edge policy in its order (limits,
// guard, ACME, route, body limit, https-only, state, wake), then the pooled engine or one of the router's own answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { validateAppName } from '../src/core/index.ts';
import type { Match, RouteTable } from '../src/routes/index.ts';
import { answerChallenge, isAcmeChallenge } from './edge/challenge.ts'; // ACME (certs)
import { answeredWhole, startExchange, type Exchange } from './edge/exchange.ts';
import { clientProto } from './edge/forwarded.ts';
import { badRequest, clientError } from './edge/guard.ts';
import { declaredTooLarge, headTooLarge, sendRefusal, type Refusal } from './edge/limits.ts';
import { badRequestPage, controlPlaneDownPage, crashingPage, noAppPage, routePage, sendPage, wakingPage, type Page } from './edge/pages.ts';
import { originForm } from './edge/target.ts';
import type { TrustCheck } from './edge/trust.ts';
import type { Waker } from './edge/wake.ts';
import { createWebForwarder } from './pooled/index.ts';
import type { UpstreamPools } from './pooled/pools.ts';

export interface RequestOptions {
  table: RouteTable;
  /** The apps' domain, lowercase, for the 404 page's hint. */
  domain: string;
  pools: UpstreamPools;
  /** The router's default upstream idle timeout (ms). */
  timeoutMs: number;
  trust: TrustCheck;
  waker: Waker;
  /** What follows the host in an https-only app's 308 (`:8443`, or '' for 443). */
  httpsSuffix: string;
  challenge?: (token: string) => string | null;
  /** Whether minicloud is there to wake a sleeping app (false: a held request's page says it is not). */
  controlPlane?: () => boolean;
  /** True once the router drains: every answer says `Connection: close`. */
  draining: () => boolean;
  /** The access-log writer, or null when no one reads the log. */
  log: ((method: string, path: string, ex: Exchange) => void) | null;
}

export interface RequestHandler {
  /** The server's 'request' (and, with `expectsContinue`, its 'checkContinue'). */
  request(req: IncomingMessage, res: ServerResponse, expectsContinue?: boolean): void;
  /** The server's 'clientError': bytes Node could not parse, answered in turn with the requests before them. */
  clientError(err: NodeJS.ErrnoException, socket: Duplex): void;
}

export function createRequestHandler(o: RequestOptions): RequestHandler {
  return new EdgeRequests(o);
}

/** The edge policy for the requests Node parsed, with what it keeps per connection. */
class EdgeRequests implements RequestHandler {
  private readonly forward: ReturnType<typeof createWebForwarder>;
  // The responses under way on each connection (pipelining allows several), for 'clientError'.
  private readonly answering = new WeakMap<Duplex, Set<ServerResponse>>();
  // Connections whose request was refused: they close after the 400, and requests pipelined
  // behind it (a smuggled one, typically) are never answered, let alone passed on.
  private readonly refused = new WeakSet<Duplex>();
  // Each connection's latest request's response: tells 'clientError' whose bytes were bad.
  private readonly latest = new WeakMap<Duplex, ServerResponse>();

  constructor(private readonly o: RequestOptions) {
    this.forward = createWebForwarder({ pools: o.pools, table: o.table, timeoutMs: o.timeoutMs, trust: o.trust, refuse: (req, res, ex, r) => this.refuse(req, res, ex, r) });
  }

  request(req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
    const socket = req.socket;
    if (this.refused.has(socket)) return;
    if (this.o.draining() && req.httpVersionMajor !== 2) res.setHeader('connection', 'close'); // h2: the GOAWAY says it
    let open = this.answering.get(socket);
    if (!open) this.answering.set(socket, (open = new Set()));
    open.add(res);
    this.latest.set(socket, res);
    const ex = startExchange(req, this.o.trust);
    // The one 'close' listener per request: bookkeeping, access log, and telling the forwarder.
    res.once('close', () => {
      open.delete(res);
      if (!answeredWhole(res)) ex.onClientGone?.();
      // 499 (nginx's "client closed request") when the client left before any answer.
      ex.status = res.headersSent ? res.statusCode : 499;
      this.o.log?.(req.method ?? '-', req.url ?? '-', ex);
    });
    const big = headTooLarge(req);
    if (big) return this.refuse(req, res, ex, big);
    const bad = badRequest(req);
    if (bad) {
      this.refused.add(socket);
      return page(res, ex, badRequestPage(bad));
    }
    // `OPTIONS *` asks about the server, not a resource: the router answers it (undici cannot send a `*` target).
    if (req.url === '*') return void res.writeHead(204, { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS', 'x-request-id': ex.id }).end();
    // ACME (certs): HTTP-01 challenges are answered here for any host, before routing.
    const challenged = this.o.challenge ? answerChallenge(req, res, this.o.challenge) : null;
    if (challenged !== null) return void (ex.bytes = challenged);

    const match = this.o.table.lookup(req.headers.host);
    if (match) ex.app = match.route.app;
    if (match) this.o.waker.seen(match.route.app);
    // A declared body over the app's limit is refused before anyone reads it (no 100 Continue either).
    const over = match ? declaredTooLarge(req, match.route) : null;
    if (over) return this.refuse(req, res, ex, over);
    if (expectsContinue && match) res.writeContinue();
    this.answer(req, res, ex, match, null);
  }

  clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code !== 'ECONNRESET') this.refused.add(socket);
    clientError(err, socket, [...(this.answering.get(socket) ?? [])], this.latest.get(socket));
  }

  /** A request over a size limit (edge/limits.ts): its page, then the connection closes, pipelined requests unanswered. */
  private refuse(req: IncomingMessage, res: ServerResponse, ex: Exchange, r: Refusal): void {
    this.refused.add(req.socket);
    ex.bytes = sendRefusal(res, ex.id, r);
  }

  /** Proxies, pages, or (once, for an app with no instance yet) holds the request and comes back with `heldMs`. */
  private answer(req: IncomingMessage, res: ServerResponse, ex: Exchange, match: Match | null, heldMs: number | null): void {
    const { o } = this;
    if (!match) return page(res, ex, noAppPage(ex.host ?? '-', o.domain, suggestName(ex.host, o.domain)));
    const { route, upstream } = match;
    if (route.httpsOnly && heldMs === null && ex.host && !isAcmeChallenge(req.url) && clientProto(req, o.trust) !== 'https') {
      return redirect(req, res, ex, `https://${ex.host}${o.httpsSuffix}${originForm(req.url)}`);
    }
    const fixed = routePage(route);
    if (fixed) return page(res, ex, fixed);
    if (upstream) return this.forward(req, res, ex, route, upstream);
    if (heldMs !== null) {
      const asleep = route.state === 'sleeping' && o.controlPlane?.() === false;
      page(res, ex, asleep ? controlPlaneDownPage(route.app) : route.state === 'crashing' ? crashingPage(route.app) : wakingPage(route.app, route.state, heldMs));
      if (!req.complete) req.resume(); // the held body was never read: drain it so the client sees the page
      return;
    }
    // The body stays unread (paused) while held, so it reaches the app intact.
    const left = new AbortController();
    res.once('close', () => left.abort());
    const ms = o.waker.holdMs(route);
    o.waker
      .hold(route, left.signal)
      .then((up) => {
        if (left.signal.aborted) return; // the client is gone: nothing to answer
        // No upstream: timed out, or stopped or removed meanwhile; answer for what the table says now.
        this.answer(req, res, ex, up ? { route, upstream: up } : o.table.lookup(req.headers.host), ms);
      })
      .catch(() => res.destroy()); // never expected; an unhandled rejection would take the router down
  }
}

/** One of the router's own answers, with the request id every answer carries. */
function page(res: ServerResponse, ex: Exchange, p: Page): void {
  res.setHeader('x-request-id', ex.id);
  ex.bytes = sendPage(res, p);
}

/** The 308 of an https-only app (method and body kept by the client); the unread body is drained. */
function redirect(req: IncomingMessage, res: ServerResponse, ex: Exchange, location: string): void {
  res.writeHead(308, { location, 'content-length': 0, 'x-request-id': ex.id });
  res.end();
  if (!req.complete) req.resume();
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
