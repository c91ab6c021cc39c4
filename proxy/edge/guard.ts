// Request smuggling defence: refuses requests an app could frame or address differently from the router.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { normalizeHost } from '../../src/routes/index.ts';
import { badH2Request } from './guard-h2.ts';
import { overflowStatus } from './limits.ts';
import { targetAuthority } from './target.ts';

/**
 * Why the request must get a 400 (and its connection closed), or null when it may go on.
 * Node's strict parser (the server turns `insecureHTTPParser` off) already refuses Content-Length
 * with Transfer-Encoding, duplicate or malformed Content-Length, obs-fold, bare CR or LF, and
 * codings that do not end in chunked; this refuses what it lets through.
 */
export function badRequest(req: IncomingMessage): string | null {
  // HTTP/2 (../h2/): what its downgrade to the app's HTTP/1.1 could smuggle first, then the checks every request gets.
  const h2 = req.httpVersionMajor === 2 ? badH2Request(req) : null;
  if (h2) return h2;
  // One pass over the raw headers instead of req.headersDistinct, which builds a second copy of them all.
  const raw = req.rawHeaders;
  let hostCount = 0;
  let teCount = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hostCount++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') teCount++;
  }
  if (teCount) {
    const te = req.headersDistinct['transfer-encoding']!;
    // `gzip, chunked` or an empty value would reach the app with a coding it never sees applied.
    if (te.length !== 1 || te[0]!.trim().toLowerCase() !== 'chunked') return 'Transfer-Encoding other than chunked';
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (req.httpVersion !== '1.1') return `Transfer-Encoding in HTTP/${req.httpVersion}`;
    if (req.headers['content-length'] !== undefined) return 'both Content-Length and Transfer-Encoding';
  }
  // RFC 9112 §3.2: exactly one valid Host; a router that routes by it cannot do without one.
  if (hostCount !== 1) return hostCount ? 'more than one Host header' : 'no Host header';
  const host = normalizeHost(req.headers.host);
  if (host === null) return 'invalid Host header';
  // RFC 9112 §3.2.2: the target's authority wins over Host; refuse rather than route by the other.
  const url = req.url ?? '';
  if (url[0] === '/') return null; // origin form, the usual case
  if (url === '*') return req.method === 'OPTIONS' ? null : `a * target with ${req.method}`; // RFC 9112 §3.2.4
  const authority = targetAuthority(url);
  if (authority !== undefined && normalizeHost(authority) !== host) return 'request target and Host disagree';
  return null;
}

const STATUS: Record<string, string> = {
  414: '414 URI Too Long',
  431: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * The server's 'clientError': a request Node could not parse. Answers a bare 400 (414 or 431 for a
 * head over Node's limit, 408 where they apply) and closes, unless an answer to an earlier request on the connection is
 * already under way: bytes of ours in the middle of it would corrupt it.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, answering: boolean): void {
  if (err.code === 'ECONNRESET' || answering || !socket.writable) return void socket.destroy();
  const code = err.code === 'HPE_HEADER_OVERFLOW' ? overflowStatus(err as { rawPacket?: unknown; bytesParsed?: number }) : err.code ?? '';
  const status = STATUS[code] ?? '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/**
 * The server's 'clientError', given the responses under way on the connection and its latest
 * request's. Answers go out in order, as the fast path sends them: the 400 waits for the answers to
 * the requests before the bad bytes (their apps already have them). When the bad bytes are the
 * latest request's own body and its answer began, only the close follows: a second answer would
 * answer nothing.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex, open: ServerResponse[], latest: ServerResponse | undefined): void {
  const inBody = !!latest && !latest.req.complete;
  const before = open.filter((r) => r !== latest || !inBody);
  if (err.code === 'ECONNRESET' || before.length === 0) return answerClientError(err, socket, inBody && latest.headersSent);
  let left = before.length;
  for (const res of before) res.once('close', () => void (--left === 0 && answerClientError(err, socket, inBody && latest.headersSent)));
}
