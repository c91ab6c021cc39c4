// The forwarding headers an app gets (X-Forwarded-*), made by one builder for every engine, and the headers the router
// owns (a client's copies dropped; the request id is one).
import type { IncomingMessage } from 'node:http';
import { ROUTER_PROOF } from '../../src/core/index.ts';
import { HOP, KEPT, requestHeaderList } from './hop.ts';
import { plainAddress, type TrustCheck } from './trust.ts';

// The port of a Host header, outside IPv6 brackets.
const HOST_PORT = /^(?:\[[^\]]*\]|[^:]*):(\d{1,5})$/;
const PROTO = /^https?$/;

/** What the forwarding headers are made from; engines gather it from their own view of the request. */
export interface ForwardFacts {
  /** The connection's peer address. */
  peer: string | undefined;
  /** The peer is a trusted proxy (MINICLOUD_TRUSTED_PROXIES): its forwarding headers are kept, its X-Forwarded-For appended to. */
  trusted: boolean;
  /** The scheme of the connection itself. */
  proto: 'http' | 'https';
  /** The Host header, as sent. */
  host: string | undefined;
  /** The router's own port the client connected to: X-Forwarded-Port when the Host names none. */
  localPort: number | undefined;
  /** A client header's value, repeats joined; asked only for a trusted peer. */
  given: (name: string) => string | undefined;
}

/**
 * The forwarding headers, as name/value pairs (the request id goes after them). Client-supplied ones are dropped: the router is the edge, so nothing
 * before it is trusted, and appending (as http-proxy's `xfwd` does) would let a client spoof its address. A peer in
 * MINICLOUD_TRUSTED_PROXIES is another proxy in front of the router: its X-Forwarded-For is appended to, its other
 * X-Forwarded-* and Forwarded kept.
 */
export function forwardedHeaders(f: ForwardFacts): string[] {
  const { trusted } = f;
  const addr = plainAddress(f.peer);
  const out: string[] = [];
  const chain = trusted ? f.given('x-forwarded-for') : undefined;
  if (chain || addr) out.push('x-forwarded-for', chain && addr ? `${chain}, ${addr}` : (chain ?? addr)!);
  const proto = trusted ? f.given('x-forwarded-proto') : undefined;
  out.push('x-forwarded-proto', proto && PROTO.test(proto) ? proto : f.proto);
  const host = (trusted ? f.given('x-forwarded-host') : undefined) ?? f.host;
  if (host) out.push('x-forwarded-host', host);
  const port = (trusted ? f.given('x-forwarded-port') : undefined) ?? HOST_PORT.exec(f.host ?? '')?.[1] ?? f.localPort;
  if (port !== undefined) out.push('x-forwarded-port', String(port));
  if (trusted) for (const name of ['forwarded', 'x-real-ip']) { const v = f.given(name); if (v) out.push(name, v); }
  return out;
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

/** The forwarding headers of a request Node's server parsed, and its id. */
function forwardedPairs(req: IncomingMessage, id: string, trust: TrustCheck): string[] {
  const h = req.headers;
  const peer = req.socket.remoteAddress;
  const out = forwardedHeaders({ peer, trusted: trust(peer), proto: ownProto(req), host: h.host, localPort: req.socket.localPort, given: (name) => headerValue(h, name) });
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
  if (name[0] === ':') return true; // HTTP/2's pseudo-headers: the request line and Host say it to the app
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
