// Hop-by-hop headers (RFC 9110 §7.6.1) end at the router: Node frames each side's messages itself.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
export const HOP = new Set(HOP_BY_HOP);
// Never removed because the Connection header names them: one side could otherwise strip the
// Host the router routed by, or the length that frames the body the other side reads.
export const KEPT = new Set(['host', 'content-length']);

/**
 * Deletes, in place, the hop-by-hop headers and every header the Connection header names.
 * A websocket upgrade keeps `Upgrade` and gets `Connection: Upgrade`: the next hop must see them to switch.
 */
export function stripHopByHop(headers: IncomingHttpHeaders, upgrade = false): void {
  const named = String(headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase());
  for (const name of [...named, ...HOP_BY_HOP]) {
    if (!name || KEPT.has(name) || (upgrade && name === 'upgrade')) continue;
    delete headers[name];
  }
  if (upgrade) headers.connection = 'Upgrade';
}

// What nearly every Connection header says, and names no other header.
const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;

/** The names a Connection header lists (lowercase), or null for none: the usual case, kept cheap. */
function connectionNamed(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined || PLAIN_CONNECTION.test(value as string)) return null;
  const tokens = String(value).split(',').map((t) => t.trim().toLowerCase()).filter((t) => t && !KEPT.has(t));
  return tokens.length ? new Set(tokens) : null;
}

/**
 * A request's end-to-end headers as a flat name/value list (for undici), without touching
 * req.headers: the hop-by-hop ones, those the Connection header names, and those `drop` says go.
 */
export function requestHeaderList(headers: IncomingHttpHeaders, drop: (name: string) => boolean): Array<string | string[]> {
  const named = connectionNamed(headers.connection);
  const out: Array<string | string[]> = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP.has(name) || drop(name) || named?.has(name)) continue;
    out.push(name, value);
  }
  return out;
}

/**
 * An app's response head (undici's raw name/value buffers) as a flat list for res.writeHead: the
 * hop-by-hop headers and those its Connection header names dropped, Content-Length too under a
 * Transfer-Encoding (RFC 9112 §6.3), and the router's request id in place of any the app sent.
 * Names keep the app's case; values are bytes, so latin1 round-trips them exactly.
 */
export function responseHeaderList(raw: Buffer[], requestId: string): string[] {
  const out: string[] = [];
  let named: Set<string> | null = null;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (lower === 'connection') named = connectionNamed(value);
    else if (lower === 'transfer-encoding') chunked = true;
    if (HOP.has(lower) || lower === 'x-request-id') continue;
    out.push(name, value);
  }
  if (named || chunked) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      const lower = out[i]!.toLowerCase();
      if (named?.has(lower) || (chunked && lower === 'content-length')) out.splice(i, 2);
    }
  }
  out.push('x-request-id', requestId);
  return out;
}

/** How a request's body is delimited: none, by Content-Length, or chunked (the only coding the guard lets in). */
export type Framing = 'none' | 'length' | 'chunked';

export function requestFraming(req: IncomingMessage): Framing {
  if (req.headers['transfer-encoding'] !== undefined) return 'chunked';
  if (Number(req.headers['content-length'] ?? 0) > 0) return 'length';
  // HTTP/2 frames a body itself (DATA frames up to END_STREAM): one of no declared length goes to the app chunked.
  return req.httpVersionMajor === 2 && !(req as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders ? 'chunked' : 'none';
}
