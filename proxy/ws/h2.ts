// RFC 8441: a websocket an HTTP/2 client opens with an extended CONNECT, carried to the app as an HTTP/1.1 Upgrade.
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Upstream } from '../../src/routes/index.ts';
import type { Exchange } from '../edge/exchange.ts';
import { stripHopByHop } from '../edge/hop.ts';
import { limitConnect, neverConnected } from '../edge/retry.ts';
import { idleTimeout, isTimeout } from '../edge/timeout.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
// What of the app's 101 the h2 client gets (RFC 8441 §5: the 200 that opens the tunnel); the rest is HTTP/1.1's.
const PASSED = ['sec-websocket-protocol', 'sec-websocket-extensions'];

export interface H2Tunnel {
  /** The client's :path. */
  path: string;
  /** Registers the app's socket, which the router's close() must destroy. */
  track: (s: Duplex) => void;
  /** Bytes sent to the client, for the access log. */
  sent: { bytes: number };
  /** The connection to the app never came up, refused or past the connect limit (the instance is skipped for a while). */
  unreached: (why?: string) => void;
}

/**
 * Opens the websocket to the app with an HTTP/1.1 Upgrade of the router's own (h2 clients send no Sec-WebSocket-Key:
 * the router makes one and checks the app's answer to it), then answers the client's stream 200 and relays the
 * websocket's frames, which are the same bytes over both protocols. `req`'s headers are already the app's.
 */
export function openH2(req: IncomingMessage, res: ServerResponse, ex: Exchange, upstream: Upstream, t: H2Tunnel): void {
  const stream = (req as unknown as { stream: Duplex }).stream;
  const key = randomBytes(16).toString('base64');
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (name[0] !== ':' && value !== undefined) headers[name] = value;
  Object.assign(headers, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key });
  const up = http.request({ host: upstream.host, port: upstream.port, method: 'GET', path: t.path, headers, agent: false, setHost: false });
  const ms = ex.timeoutMs ?? 30_000;
  up.setTimeout(ms, () => up.destroy(idleTimeout(ms)));
  limitConnect(up);
  stream.once('close', () => up.destroy());
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (neverConnected(err)) t.unreached(err.code);
    if (ex.status === 0) refuseH2(res, ex, isTimeout(err) ? 504 : 502);
    else stream.destroy();
  });
  // The app declined the upgrade: its answer goes to the client, as over HTTP/1.1.
  up.on('response', (answer) => {
    ex.status = answer.statusCode ?? 502;
    stripHopByHop(answer.headers);
    if (stream.destroyed) return void answer.destroy();
    res.writeHead(ex.status, { ...answer.headers, 'x-request-id': ex.id });
    answer.on('data', (c: Buffer) => (t.sent.bytes += c.length));
    answer.pipe(res);
  });
  up.on('upgrade', (answer, socket, head) => {
    t.track(socket);
    socket.on('error', () => socket.destroy());
    if (answer.headers['sec-websocket-accept'] !== createHash('sha1').update(key + GUID).digest('base64')) {
      socket.destroy();
      return refuseH2(res, ex, 502);
    }
    if (stream.destroyed) return void socket.destroy();
    socket.setTimeout(0); // an open websocket may stay quiet for as long as it likes
    ex.status = 200;
    const opened: OutgoingHttpHeaders = { 'x-request-id': ex.id };
    for (const name of PASSED) if (answer.headers[name] !== undefined) opened[name] = answer.headers[name];
    res.writeHead(200, opened);
    if (head.length) (t.sent.bytes += head.length), res.write(head);
    socket.on('data', (c: Buffer) => (t.sent.bytes += c.length));
    // Each side's end ends the other's (END_STREAM <-> FIN); a reset or error on either takes both down.
    socket.pipe(res);
    req.pipe(socket);
    socket.once('close', () => stream.destroy());
    stream.once('close', () => socket.destroy());
  });
  up.end();
}

/** A refusal on the client's stream (a status, no body); the stream then ends. */
export function refuseH2(res: ServerResponse, ex: Exchange, status: number, retryAfter?: number): void {
  ex.status = status;
  const stream = (res as unknown as { stream: Duplex }).stream;
  if (res.headersSent || stream.destroyed) return void stream.destroy();
  res.writeHead(status, { 'content-length': '0', 'x-request-id': ex.id, ...(retryAfter && { 'retry-after': String(retryAfter) }) });
  res.end();
}
