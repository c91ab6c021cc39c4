// Per-request plumbing shared by HTTP and WebSocket: request id, access-log bookkeeping,
// the X-Forwarded-* headers an app gets, and the upstream idle timeout.
import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { normalizeHost } from '../src/router/index.ts';

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
}

export function startExchange(req: IncomingMessage): Exchange {
  return { id: requestId(req), host: normalizeHost(req.headers.host), start: performance.now(), bytes: 0, status: 0 };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
// The port of a Host header, outside IPv6 brackets.
const HOST_PORT = /^(?:\[[^\]]*\]|[^:]*):(\d{1,5})$/;

/** Keeps a client's X-Request-Id when it is a single safe token (it ends up in logs), else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Rewrites req.headers in place before http-proxy copies them upstream. Every client-supplied
 * forwarding header is dropped first: the router is the edge, so nothing before it is trusted,
 * and appending (as http-proxy's `xfwd` does) would let a client spoof its address.
 */
export function setForwardedHeaders(req: IncomingMessage, id: string): void {
  const h = req.headers;
  for (const name of Object.keys(h)) {
    if (name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip') delete h[name];
  }
  const addr = clientAddress(req);
  if (addr) h['x-forwarded-for'] = addr;
  h['x-forwarded-proto'] = 'http';
  if (h.host) h['x-forwarded-host'] = h.host;
  const port = HOST_PORT.exec(h.host ?? '')?.[1] ?? req.socket.localPort;
  if (port !== undefined) h['x-forwarded-port'] = String(port);
  h['x-request-id'] = id;
}

/** The peer address, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as the plain IPv4 apps expect. */
function clientAddress(req: IncomingMessage): string | undefined {
  const addr = req.socket.remoteAddress;
  return addr?.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

const TIMEOUT = 'MINICLOUD_UPSTREAM_TIMEOUT';

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
  return (err as NodeJS.ErrnoException | undefined)?.code === TIMEOUT;
}
