// Per-request plumbing shared by HTTP and WebSocket: request id, access-log bookkeeping,
// the X-Forwarded-* headers an app gets, and the upstream idle timeout.
import { randomBytes } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { normalizeHost } from '../../src/routes/index.ts';
import { HOP, KEPT, requestHeaderList } from './hop.ts';
import { plainAddress, type TrustCheck } from './trust.ts';
import { ROUTER_PROOF } from '../../src/core/index.ts';

/** Per-request bookkeeping for the access log, and the upstream timeout once a route is known. */
export interface Exchange {
  id: string;
  host: string | null;
  /** The app the request was routed to, once known (for its access log). */
  app?: string;
  start: number;
  bytes: number;
  status: number;
  /** The upstream idle timeout (ms): the route's own, else the router's. */
  timeoutMs?: number;
  /** Called once if the client goes away before its response was finished. */
  onClientGone?: () => void;
}

export function startExchange(req: IncomingMessage): Exchange {
  return { id: requestId(req), host: normalizeHost(req.headers.host), start: performance.now(), bytes: 0, status: 0 };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
// The port of a Host header, outside IPv6 brackets.
export const HOST_PORT = /^(?:\[[^\]]*\]|[^:]*):(\d{1,5})$/;
const PROTO = /^https?$/;

// Made ids: a random prefix per process and a counter, unique without a random draw per request.
const ID_PREFIX = randomBytes(8).toString('hex');
let idCounter = 0;

/** Keeps a client's X-Request-Id when it is a single safe token (it ends up in logs), else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
}

/** A fresh request id, for a request that brought no usable one. */
export function newRequestId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

/** The scheme of the connection itself: https on the TLS listener. */
export function ownProto(req: IncomingMessage): 'http' | 'https' {
  return (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
}

/** The scheme the client used: a trusted proxy's X-Forwarded-Proto, else the connection's own. */
export function clientProto(req: IncomingMessage, trust: TrustCheck): string {
  const given = req.headers['x-forwarded-proto'];
  if (typeof given === 'string' && PROTO.test(given) && trust(req.socket.remoteAddress)) return given;
  return ownProto(req);
}

/**
 * The forwarding headers the app gets, as name/value pairs. Client-supplied ones are dropped: the
 * router is the edge, so nothing before it is trusted, and appending (as http-proxy's `xfwd` does)
 * would let a client spoof its address. A peer in MINICLOUD_TRUSTED_PROXIES is another proxy in
 * front of the router: its X-Forwarded-For is appended to, its other X-Forwarded-* and Forwarded kept.
 */
function forwardedPairs(req: IncomingMessage, id: string, trust: TrustCheck): string[] {
  const h = req.headers;
  const peer = req.socket.remoteAddress;
  const trusted = trust(peer);
  const addr = plainAddress(peer);
  const out: string[] = [];
  const chain = trusted ? headerValue(h, 'x-forwarded-for') : undefined;
  if (chain || addr) out.push('x-forwarded-for', chain && addr ? `${chain}, ${addr}` : (chain ?? addr)!);
  const proto = trusted ? headerValue(h, 'x-forwarded-proto') : undefined;
  out.push('x-forwarded-proto', proto && PROTO.test(proto) ? proto : ownProto(req));
  const host = (trusted ? headerValue(h, 'x-forwarded-host') : undefined) ?? h.host;
  if (host) out.push('x-forwarded-host', host);
  const port = (trusted ? headerValue(h, 'x-forwarded-port') : undefined) ?? HOST_PORT.exec(h.host ?? '')?.[1] ?? req.socket.localPort;
  if (port !== undefined) out.push('x-forwarded-port', String(port));
  if (trusted) for (const name of ['forwarded', 'x-real-ip']) { const v = headerValue(h, name); if (v) out.push(name, v); }
  out.push('x-request-id', id);
  return out;
}

/** A header's value as one string (repeats joined), or undefined when absent or empty. */
function headerValue(h: IncomingMessage['headers'], name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' && v !== '' ? v : Array.isArray(v) && v.length ? v.join(', ') : undefined;
}

/**
 * Headers the router sets itself, never copied from the client (name in lowercase). So are names
 * that become one of them, or a framing or hop-by-hop header, once `_` is read as `-`, as CGI-style
 * apps do (`X_Forwarded_For` and `X-Forwarded-For` are both HTTP_X_FORWARDED_FOR to Rack): nginx
 * drops every name with an underscore for the same reason.
 */
export function routerOwned(name: string): boolean {
  if (!name.includes('_')) return ownName(name);
  const dashed = name.replaceAll('_', '-');
  return ownName(dashed) || HOP.has(dashed) || KEPT.has(dashed);
}

function ownName(name: string): boolean {
  return name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip' || name === 'x-request-id' || name === 'expect' || name === ROUTER_PROOF;
}

/**
 * The request's headers for the app, as a flat name/value list: hop-by-hop ones dropped (RFC 9110),
 * then the forwarding ones, which `Connection: X-Forwarded-For` therefore cannot remove. `Expect`
 * goes too: Node already answered any `100-continue`.
 */
export function upstreamRequestHeaders(req: IncomingMessage, id: string, trust: TrustCheck): Array<string | string[]> {
  const list = requestHeaderList(req.headers, routerOwned);
  for (const v of forwardedPairs(req, id, trust)) list.push(v);
  return list;
}

/** The same, in place on req.headers, for http-proxy (websocket upgrades) to copy upstream. */
export function setForwardedHeaders(req: IncomingMessage, id: string, trust: TrustCheck): void {
  const pairs = forwardedPairs(req, id, trust);
  const h = req.headers;
  for (const name of Object.keys(h)) if (routerOwned(name)) delete h[name];
  for (let i = 0; i < pairs.length; i += 2) h[pairs[i]!] = pairs[i + 1]!;
}

export const TIMEOUT_CODE = 'MINICLOUD_UPSTREAM_TIMEOUT';
const TIMEOUT = TIMEOUT_CODE;
// undici's own idle timeouts of the plain-request path: waiting for the head, then between body chunks.
const TIMEOUTS = new Set([TIMEOUT, 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Our own idle timer instead of http-proxy's `proxyTimeout`: that one aborts with a plain
 * ECONNRESET, which cannot be told apart from a crashed app (502 vs 504).
 */
export function armTimeout(proxyReq: ClientRequest, ms: number): void {
  proxyReq.setTimeout(ms, () => {
    proxyReq.destroy(Object.assign(new Error(`upstream idle for ${ms} ms`), { code: TIMEOUT }));
  });
}

export function isTimeout(err: unknown): boolean {
  return TIMEOUTS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}
