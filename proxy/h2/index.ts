// HTTP/2 to clients over TLS: the HTTPS listener offers `h2` by ALPN (HTTP/1.1 the fallback); an h2 connection becomes
// a node:http2 session whose requests take the very path HTTP/1.1 ones do (requests.ts: limits, guard with its h2
// checks in edge/guard-h2.ts, routing, forwarded headers, access log) and reach apps over HTTP/1.1 keep-alive through
// the pooled engine. A websocket opens with RFC 8441's extended CONNECT (`:protocol websocket`), handed to the
// websocket engine (../ws/h2.ts), which reaches the app with an HTTP/1.1 Upgrade.
import http2, { constants, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { routerStats } from '../edge/dispatch.ts';
import { hostFromAuthority, markMalformed } from '../edge/guard-h2.ts';
import { MAX_FIELDS, MAX_REQUEST_LINE } from '../edge/limits.ts';
import { ClientWatch } from './watch.ts';

/** What the HTTP/2 side needs of the router: the shared request handler (requests.ts). */
export interface H2Options {
  request(req: IncomingMessage, res: ServerResponse, expectsContinue?: boolean): void;
  /** An extended CONNECT (RFC 8441): a websocket, for the websocket engine. */
  websocket(req: IncomingMessage, res: ServerResponse): void;
  /** A session quiet this long is closed when idle, or ended when it owes a client that stopped reading; default 60 s. */
  idleMs?: number;
}

export interface H2Engine {
  /** Sends every session a GOAWAY: requests under way finish, new ones go to a new connection (another worker). */
  drain(): void;
  close(): void;
}

// nginx's and h2o's order of magnitude: enough for a page's assets at once, few enough that one client cannot make
// the router hold thousands of upstream requests (Node's own default is unlimited).
export const MAX_CONCURRENT_STREAMS = 128;
// A session with no stream open this long is closed (GOAWAY), as HTTP/1.1 kept-alive connections are after 5 s;
// browsers keep h2 connections longer, and one connection serves all of a page.
const IDLE_MS = 60_000;
// The decoded header list a stream may send (RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE counts 32 bytes per field
// besides name and value): room for the largest head limits.ts admits, which then answers it 414 or 431 itself;
// past this the stream is reset before its headers are even gathered.
const MAX_HEADER_LIST = MAX_REQUEST_LINE + MAX_FIELDS * 2;

/** Takes the h2 connections of `tls` (an https.Server whose ALPNProtocols offer h2) into HTTP/2 sessions. */
export function serveH2(tls: https.Server, o: H2Options): H2Engine {
  const sessions = new Set<ServerHttp2Session>();
  const server = http2.createServer({
    // enableConnectProtocol: SETTINGS_ENABLE_CONNECT_PROTOCOL, which lets clients open websockets (RFC 8441).
    settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: MAX_HEADER_LIST, enablePush: false, enableConnectProtocol: true },
    // Node's default of 128 fields would refuse heads HTTP/1.1 admits; the size limit bounds them instead.
    maxHeaderListPairs: 4096,
  });
  // What the client sends, read before nghttp2 reads it: fields nghttp2 would drop unseen (a CR, LF or NUL in a value,
  // a bad name) get their requests refused; resets spend the session's rapid-reset budget.
  const watch = new ClientWatch(MAX_HEADER_LIST * 2, MAX_CONCURRENT_STREAMS * 2);
  /** What every stream's request gets first: the inspector's word on it, and the Host the edge routes by. */
  const prepare = (req: Http2ServerRequest) => {
    routerStats.h2++;
    const why = watch.take(req.stream);
    if (why !== undefined) markMalformed(req as unknown as IncomingMessage, why);
    hostFromAuthority(req as unknown as IncomingMessage);
  };
  const request = (req: Http2ServerRequest, res: Http2ServerResponse, expectsContinue = false) => {
    prepare(req);
    if (!req.stream.endAfterHeaders) keepCutBodiesCut(req);
    o.request(req as unknown as IncomingMessage, res as unknown as ServerResponse, expectsContinue);
  };
  server.on('request', (req, res) => request(req, res));
  server.on('checkContinue', (req, res) => request(req, res, true));
  // An extended CONNECT opens a websocket; a plain CONNECT reaches the guard, which refuses it with a 400 that the access log records.
  server.on('connect', (req, res) => {
    if (req.headers[':protocol'] === undefined) return request(req, res);
    prepare(req);
    o.websocket(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
  server.on('session', (session) => {
    watch.session(session);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    const open = new Set<ServerHttp2Stream>();
    session.on('stream', (stream) => {
      open.add(stream);
      stream.once('close', () => open.delete(stream));
    });
    // Nothing read or written for idleMs (the timer restarts on any frame). No stream open: closed (GOAWAY). A stream
    // with an answer waiting to be written: the client stopped reading (no WINDOW_UPDATE) and would keep the session,
    // and the upstream requests of its streams, for ever: ended. A long poll (a stream waiting for its app, owed
    // nothing yet) keeps its session.
    session.setTimeout(o.idleMs ?? IDLE_MS, () => {
      if (open.size === 0) session.close();
      else if ([...open].some((s) => s.bufferSize > 0)) session.destroy();
    });
  });

  // The ALPN switch: https.Server's own HTTP/1.1 listener keeps every connection that did not pick h2.
  const h1 = tls.listeners('secureConnection') as Array<(s: TLSSocket) => void>;
  tls.removeAllListeners('secureConnection');
  tls.on('secureConnection', (socket: TLSSocket) => {
    // An h2 connection reaches its session through the inspector, which reads each header block before nghttp2.
    if (socket.alpnProtocol === 'h2') watch.connect(socket, (through) => server.emit('connection', through));
    else for (const l of h1) l.call(tls, socket);
  });
  return {
    drain: () => { for (const s of sessions) s.close(); },
    close: () => { for (const s of sessions) s.destroy(); },
  };
}

/**
 * Node's compat request ends (as if whole) whenever its stream closes, reset or not; piped to the app, a body cut
 * short by a reset (the client's, or nghttp2's for DATA that disagrees with Content-Length) would arrive complete,
 * and undici even sends an already-ended empty body as `Content-Length: 0` whatever was declared. A body that had
 * not ended when its stream was reset is destroyed with an error instead (which alone stops the queued 'end'), and
 * the request's close tells the pooled engine the client is gone (edge/exchange.ts answeredWhole): the app's
 * request is aborted, never passed on whole.
 */
function keepCutBodiesCut(req: Http2ServerRequest): void {
  req.stream.once('close', () => {
    if (req.readableEnded || req.stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
    req.on('error', () => {}); // nothing else listens: the pipe to the app leaves its source's errors alone
    req.destroy(new Error('the HTTP/2 stream was reset before its body ended'));
  });
}
