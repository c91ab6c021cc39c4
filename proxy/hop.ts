// Hop-by-hop headers (RFC 9110 §7.6.1) end at the router: Node frames each side's messages itself.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
// Never removed because the Connection header names them: one side could otherwise strip the
// Host the router routed by, or the length that frames the body the other side reads.
const KEPT = new Set(['host', 'content-length']);

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

/** How a request's body is delimited: none, by Content-Length, or chunked (the only coding the guard lets in). */
export type Framing = 'none' | 'length' | 'chunked';

export function requestFraming(req: IncomingMessage): Framing {
  if (req.headers['transfer-encoding'] !== undefined) return 'chunked';
  return Number(req.headers['content-length'] ?? 0) > 0 ? 'length' : 'none';
}

/**
 * Sets the upstream request's framing from the client's, before its headers go out. With the
 * Transfer-Encoding header stripped, Node would send a GET's chunked body unframed, and
 * http-proxy turns a chunked DELETE or OPTIONS into `Content-Length: 0` plus a body: either
 * would let the body be read upstream as a further request.
 */
export function frameUpstream(proxyReq: ClientRequest, framing: Framing): void {
  if (framing === 'chunked') {
    proxyReq.removeHeader('content-length');
    proxyReq.setHeader('transfer-encoding', 'chunked'); // Node then writes the chunks itself
  } else {
    proxyReq.removeHeader('transfer-encoding');
  }
}

/** Copies an app's status and end-to-end headers onto the client's response; Node picks the framing. */
export function copyResponseHead(proxyRes: IncomingMessage, res: ServerResponse, requestId: string | undefined): void {
  const headers = { ...proxyRes.headers };
  // RFC 9112 §6.3: a Transfer-Encoding overrides the Content-Length.
  if (headers['transfer-encoding'] !== undefined) delete headers['content-length'];
  stripHopByHop(headers);
  if (requestId) headers['x-request-id'] = requestId; // the app may not override the router's id
  res.statusCode = proxyRes.statusCode ?? 502;
  if (proxyRes.statusMessage) res.statusMessage = proxyRes.statusMessage;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    try {
      res.setHeader(name, value);
    } catch {
      // a value Node refuses to send costs that header, not the whole response
    }
  }
}
