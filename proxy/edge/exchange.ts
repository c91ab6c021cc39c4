// One request's bookkeeping, whichever engine serves it: its id, host and app, and what the access log says of it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeHost } from '../../src/routes/index.ts';
import { requestId } from './request-id.ts';
import { clientAddress, type TrustCheck } from './trust.ts';

/** Per-request bookkeeping for the access log, and the upstream timeout once a route is known. */
export interface Exchange {
  id: string;
  host: string | null;
  /** The app the request was routed to, once known (for its access log). */
  app?: string;
  start: number;
  /** The client's address, as the trusted chain gives it (edge/trust.ts clientAddress). */
  client: string;
  /** The User-Agent as sent, or null; escaped only when the line is written (accessLine). */
  ua: string | null;
  bytes: number;
  status: number;
  /** The upstream idle timeout (ms): the route's own, else the router's. */
  timeoutMs?: number;
  /** Called once if the client goes away before its response was finished. */
  onClientGone?: () => void;
}

/**
 * Whether the client got the whole answer. Over HTTP/2 Node counts a response finished once its stream closes, even
 * by a reset (the client cancelled, or its request was malformed): the stream's rstCode tells.
 */
export function answeredWhole(res: ServerResponse): boolean {
  return res.writableFinished && !(res as { stream?: { rstCode?: number } }).stream?.rstCode;
}

export function startExchange(req: IncomingMessage, trust: TrustCheck): Exchange {
  const xff = req.headers['x-forwarded-for'];
  const client = clientAddress(req.socket.remoteAddress, Array.isArray(xff) ? xff.join(', ') : xff, trust);
  return { id: requestId(req), host: normalizeHost(req.headers.host), start: performance.now(), client, ua: req.headers['user-agent'] ?? null, bytes: 0, status: 0 };
}

// Every character that could end the quoted field or the line, or hide or reorder text: quotes, backslashes,
// controls (CR, LF, ESC...), DEL, C1 controls, line/paragraph separators, bidi overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escapeChar = (c: string) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** Longest User-Agent written; longer ones are cut (a log line is no place for 8 KiB of header). */
const MAX_UA = 512;

/** A value as one double-quoted field: `"` and `\` backslashed, anything unprintable as \uXXXX; absent is `"-"`. */
export function quoteField(v: string | null): string {
  if (v === null || v === '') return '"-"';
  const cut = v.length > MAX_UA ? `${v.slice(0, MAX_UA)}...` : v;
  return `"${cut.replace(UNSAFE, escapeChar)}"`;
}

/** The access-log line: `method host path status bytes ms requestId client "user agent"`. */
export function accessLine(method: string, path: string, ex: Exchange, ms: number): string {
  return `${method} ${ex.host ?? '-'} ${path} ${ex.status} ${ex.bytes} ${ms} ${ex.id} ${ex.client} ${quoteField(ex.ua)}`;
}
