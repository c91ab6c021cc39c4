// Size limits on what clients send (nginx's and Heroku's): the request line, header fields, and a route's body limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/core/index.ts';
import type { Route } from '../../src/routes/index.ts';
import { sendPage, tooLargePage } from './pages.ts';

/** A request line longer than this (method, target, version) gets a 414. */
export const MAX_REQUEST_LINE = 8192;
/** One header field line (`name: value`) longer than this gets a 431. */
export const MAX_FIELD_LINE = 8192;
/** All header field lines (each with its CRLF) longer than this get a 431. */
export const MAX_FIELDS = 16384;
/**
 * Node's own head limit (maxHeaderSize; it counts the target, names and values): room for a full
 * request line and full fields, so what Node lets through is measured here exactly, and what it
 * refuses was over one of the limits anyway (overflowStatus tells which).
 */
export const NODE_MAX_HEADER_SIZE = MAX_REQUEST_LINE + MAX_FIELDS + 1024;
/**
 * New connections the kernel holds for the router's listeners until they are accepted (capped by the kernel's
 * net.core.somaxconn, 4096 on current Linux): Node's default of 511 overflows when a thousand clients connect at
 * once, and an overflowed handshake waits for a SYN retransmission (1 s, then 3 s). HAProxy and Go (Caddy) use
 * somaxconn too.
 */
export const LISTEN_BACKLOG = 4096;

export interface Refusal {
  status: 413 | 414 | 431;
  reason: string;
}

/** The head's refusal when it is over a limit, else null; measured as the client sent it. */
export function headTooLarge(req: IncomingMessage): Refusal | null {
  // `GET <target> HTTP/1.1`: Node keeps the target as sent.
  if ((req.method?.length ?? 0) + (req.url?.length ?? 0) + 10 > MAX_REQUEST_LINE) {
    return { status: 414, reason: `the request line is over ${MAX_REQUEST_LINE} bytes` };
  }
  const raw = req.rawHeaders;
  let total = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const line = raw[i]!.length + 2 + raw[i + 1]!.length;
    if (line > MAX_FIELD_LINE) return { status: 431, reason: `a header field is over ${MAX_FIELD_LINE} bytes` };
    total += line + 2;
  }
  return total > MAX_FIELDS ? { status: 431, reason: `the header fields are over ${MAX_FIELDS} bytes in all` } : null;
}

/** The route's body limit in bytes; 0: none. */
export function bodyLimit(route: Route): number {
  return route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
}

/** A declared body (Content-Length) over the route's limit: refused before the app reads a byte. */
export function declaredTooLarge(req: IncomingMessage, route: Route): Refusal | null {
  const limit = bodyLimit(route);
  const declared = Number(req.headers['content-length'] ?? 0);
  return limit > 0 && declared > limit ? bodyRefusal(limit) : null;
}

export function bodyRefusal(limit: number): Refusal {
  return { status: 413, reason: `the request body is over this app's limit of ${limit} bytes` };
}

/**
 * Answers a refusal with its page and closes the connection after it; a refused body is read and
 * dropped for a moment first (linger), so the client gets to read the 413. Returns the body size.
 */
export function sendRefusal(res: ServerResponse, id: string, r: Refusal): number {
  res.setHeader('x-request-id', id);
  // Node ends a `Connection: close` response's socket with destroySoon(): lingering takes its place.
  const socket = res.socket as (Duplex & { destroySoon?: () => void }) | null;
  // (Not over HTTP/2: res.socket stands for the whole session there, and the stream's end is the answer's.)
  if (r.status === 413 && socket && res.req?.httpVersionMajor !== 2) socket.destroySoon = () => linger(socket);
  return sendPage(res, tooLargePage(r.status, r.reason));
}

/**
 * For Node's HPE_HEADER_OVERFLOW: 414 when the bytes it was parsing hold a request start and no
 * line end before the failure (the target was what overflowed), else 431. A target long enough to
 * reach Node's limit across several reads of a kept-alive connection is answered 431: still
 * refused before the app sees it.
 */
export function overflowStatus(err: { rawPacket?: unknown; bytesParsed?: number }): 414 | 431 {
  const raw = err.rawPacket;
  if (!Buffer.isBuffer(raw)) return 431;
  const upTo = Math.min(raw.length, err.bytesParsed ?? raw.length);
  const lf = raw.indexOf(0x0a);
  return (lf < 0 || lf >= upTo) && REQUEST_START.test(raw.toString('latin1', 0, Math.min(upTo, 32))) ? 414 : 431;
}
const REQUEST_START = /^[A-Z]{1,20} /;

/**
 * A closing answer's end, like nginx's lingering close: the client may still be sending the body
 * the answer refused, and closing with its bytes unread would reset the connection and could lose
 * the answer. What comes is read and dropped until the client closes, stops sending for `idleMs`,
 * or `maxMs` passes. Node's parser may read the socket's handle itself (no 'data' events), so
 * arrivals are told by bytesRead.
 */
export function linger(socket: Duplex & { bytesRead?: number }, idleMs = 250, maxMs = 3000): void {
  let last = -1;
  const poll = setInterval(() => {
    if (socket.bytesRead === last) socket.destroy();
    last = socket.bytesRead ?? -1;
  }, idleMs);
  const cap = setTimeout(() => socket.destroy(), maxMs);
  poll.unref();
  cap.unref();
  socket.once('close', () => (clearInterval(poll), clearTimeout(cap)));
  socket.once('end', () => socket.destroy());
  socket.end();
  socket.resume();
}
