// The requests Node's HTTP server parsed (all the fast path leaves, and HTTPS): the edge policy in its order (limits,
// guard, ACME, route, body limit, https-only, state, wake), then the pooled engine or one of the router's own answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { validateAppName } from '../src/core/index.ts';
import type { Match, RouteTable } from '../src/routes/index.ts';
import { answerChallenge, isAcmeChallenge } from './edge/challenge.ts'; // ACME (certs)
import { startExchange, type Exchange } from './edge/exchange.ts';
import { clientProto } from './edge/forwarded.ts';
import { badRequest, clientError } from './edge/guard.ts';
import { declaredTooLarge, headTooLarge, sendRefusal, type Refusal } from './edge/limits.ts';
import { badRequestPage, controlPlaneDownPage, noAppPage, sendPage, stoppedPage, wakingPage, type Page } from './edge/pages.ts';
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
  const { table, domain, trust, waker } = o;
  /** A request over a size limit (edge/limits.ts): its page, then the connection closes, pipelined requests unanswered. */
  const refuse = (req: IncomingMessage, res: ServerResponse, ex: Exchange, r: Refusal) => {
    refused.add(req.socket);
    ex.bytes = sendRefusal(res, ex.id, r);
  };
  const forward = createWebForwarder({ pools: o.pools, table, timeoutMs: o.timeoutMs, trust, refuse });
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

  const request = (req: IncomingMessage, res: ServerResponse, expectsContinue = false) => {
    const socket = req.socket;
    if (refused.has(socket)) return;
    if (o.draining()) res.setHeader('connection', 'close');
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
      o.log?.(req.method ?? '-', req.url ?? '-', ex);
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
    const challenged = o.challenge ? answerChallenge(req, res, o.challenge) : null;
    if (challenged !== null) return void (ex.bytes = challenged);

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
      return redirect(req, res, ex, `https://${ex.host}${o.httpsSuffix}${originForm(req.url)}`);
    }
    if (route.state === 'stopped') return page(res, ex, stoppedPage(route.app));
    if (upstream) return forward(req, res, ex, route, upstream);
    if (heldMs !== null) {
      const asleep = route.state === 'sleeping' && o.controlPlane?.() === false;
      page(res, ex, asleep ? controlPlaneDownPage(route.app) : wakingPage(route.app, route.state, heldMs));
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

  return {
    request,
    clientError(err, socket) {
      if (err.code !== 'ECONNRESET') refused.add(socket);
      clientError(err, socket, [...(answering.get(socket) ?? [])], latest.get(socket));
    },
  };
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
