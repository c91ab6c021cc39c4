// Request smuggling defence for HTTP/2 requests, which the router passes on to apps as HTTP/1.1 (an h2 → h1
// downgrade): refuses what the HTTP/1.1 request made from them could carry or frame differently from the h2 one.
import type { IncomingMessage } from 'node:http';
import { normalizeHost } from '../../src/routes/index.ts';

// RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2; passed down to HTTP/1.1 they would frame or
// steer the app's connection (a `transfer-encoding: chunked` over a DATA body is the classic h2 → h1 smuggle).
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
// `:protocol`: RFC 8441's extended CONNECT (a websocket over HTTP/2), checked below.
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
// RFC 9113 §8.2.1: no CR, LF or NUL anywhere, no whitespace at a value's ends; names are lowercase tokens.
const BAD_VALUE = /[\0\r\n]|^[\t ]|[\t ]$/;
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const LENGTH = /^\d{1,15}$/;

// Requests whose header block held a field nghttp2 dropped before Node saw it (../h2/inspect.ts found it), and why.
const malformed = new WeakMap<IncomingMessage, string>();

/** Says that `req` came with a field nghttp2 dropped: the guard refuses it for `why`. */
export function markMalformed(req: IncomingMessage, why: string): void {
  malformed.set(req, why);
}

/**
 * Why an HTTP/2 request must be refused (a 400 on its stream), or null when it may go on. nghttp2 (under Node's
 * http2) already refuses most of these as malformed, and checks DATA against Content-Length; this is the router's
 * own word on what reaches an app, whatever the library lets through.
 */
export function badH2Request(req: IncomingMessage): string | null {
  const dropped = malformed.get(req);
  if (dropped) return dropped;
  const raw = req.rawHeaders;
  const seen = new Set<string>();
  let lengths = 0;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (BAD_VALUE.test(value)) return `a CR, LF, NUL or surrounding whitespace in the value of ${name.slice(0, 64)}`;
    if (name[0] === ':') {
      if (!REQUEST_PSEUDO.has(name)) return `the pseudo-header ${name.slice(0, 64)}`;
      if (seen.has(name)) return `a repeated ${name}`;
      seen.add(name);
      continue;
    }
    if (!NAME.test(name)) return 'a header name that is not a lowercase token';
    if (CONNECTION_SPECIFIC.has(name)) return `the connection-specific header ${name}`;
    if (name === 'te' && value !== 'trailers') return 'TE other than trailers';
    if (name === 'content-length' && (++lengths > 1 || !LENGTH.test(value))) return 'a Content-Length that is not one number';
    if (name === 'host') hosts++;
  }
  const method = req.headers[':method'] as string | undefined;
  const path = req.headers[':path'] as string | undefined;
  if (!method || !path || !seen.has(':scheme')) return 'a request without :method, :scheme or :path';
  const protocol = req.headers[':protocol'];
  if (protocol !== undefined && method !== 'CONNECT') return `:protocol with ${method}`;
  if (method === 'CONNECT' && protocol === undefined) return 'CONNECT (the router is no forward proxy)';
  if (protocol !== undefined && protocol !== 'websocket') return `the protocol ${String(protocol).slice(0, 32)} (only websocket)`;
  const scheme = req.headers[':scheme'];
  if (scheme !== 'https' && scheme !== 'http') return `the scheme ${String(scheme).slice(0, 32)}`;
  if (path !== '*' && path[0] !== '/') return 'a :path that is not an absolute path';
  if (path === '*' && method !== 'OPTIONS') return `a * target with ${method}`;
  if (hosts > 1) return 'more than one Host header';
  const authority = req.headers[':authority'] as string | undefined;
  const host = req.headers.host;
  if (authority === undefined && host === undefined) return 'no :authority or Host';
  // RFC 9113 §8.3.1: both may be sent; an app must not be routed by one and read the other.
  if (authority !== undefined && host !== undefined && normalizeHost(authority) !== normalizeHost(host)) return ':authority and Host disagree';
  return null;
}

/**
 * Gives an HTTP/2 request the Host header the shared edge policy routes by (and the app gets): its :authority when
 * it sent no Host. Called before the guard, so the Host it checks is the one the router would route by.
 */
export function hostFromAuthority(req: IncomingMessage): void {
  const authority = req.headers[':authority'];
  if (req.headers.host !== undefined || typeof authority !== 'string') return;
  req.headers.host = authority;
  req.rawHeaders.push('host', authority);
}
