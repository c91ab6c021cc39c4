// Test helpers for HTTP/2: Node's own http2 client (what a well-behaved browser-like client sends) against the router's
// HTTPS port, and a test app that records what reached it.
import http, { type IncomingHttpHeaders } from 'node:http';
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface H2Reply { status: number; headers: http2.IncomingHttpHeaders; body: string }

/** An h2 session to 127.0.0.1:`port` naming `servername` (SNI), whatever certificate it is served. */
export function h2Connect(port: number, servername: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://127.0.0.1:${port}`, { servername, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    s.once('connect', () => (s.off('error', reject), resolve(s)));
    s.once('error', reject);
  });
}

/** One request on `session` for `authority`; `body` sent as DATA (no Content-Length unless the headers give one). */
export function h2Request(session: ClientHttp2Session, authority: string, path: string, o: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer } = {}): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': o.method ?? 'GET', ':path': path, ':authority': authority, ...o.headers }, { endStream: o.body === undefined });
    let headers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => void (headers = h));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
    req.setTimeout(30_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    if (o.body !== undefined) req.end(o.body);
  });
}

export interface Seen { method: string; url: string; httpVersion: string; headers: IncomingHttpHeaders; body: string; remotePort: number }

/** An app: `/` is a page naming two assets, `/app.css` and `/app.js` are they, `/slow` answers after a second, anything else echoes what it got. */
export async function recordingApp(): Promise<{ port: number; seen: Seen[]; server: http.Server; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, httpVersion: req.httpVersion, headers: req.headers, body, remotePort: req.socket.remotePort! });
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('slow done'), 1000);
      if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      if (req.url === '/app.css') return void res.writeHead(200, { 'content-type': 'text/css' }).end('body { color: green }\n');
      if (req.url === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end("document.title = 'loaded';\n");
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5' }).end(`${req.method} ${req.url} ${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    server,
    close: () => (server.closeAllConnections(), new Promise<void>((r) => server.close(() => r()))),
  };
}

const PAGE = '<!doctype html><html><head><link rel="stylesheet" href="/app.css"><script src="/app.js"></script></head><body>hello over h2</body></html>\n';
