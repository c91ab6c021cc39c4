// The fast path over TLS: HTTP/1.1 on the HTTPS listener is served from the decrypted bytes as plain HTTP is, and
// what it leaves (odd heads, smuggling patterns, upgrades, pages) still reaches Node's HTTPS server, on the same
// connection; h2 clients still get HTTP/2.
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerStats } from '../../proxy/edge/dispatch.ts';
import { counting } from '../helpers/router-stats.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/self-signed.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

let router: Router;
const table = new RouteTable();
const servers: net.Server[] = [];
let seen: http.IncomingHttpHeaders[] = [];

const route = (app: string, port: number, more: Partial<Route> = {}): Route => ({ app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running', ...more });

/** Writes each piece over one TLS connection (a pause between them), and collects what comes back until it closes or `waitMs` passes. */
const tlsExchange = (pieces: string[], waitMs = 800, servername = 'fast.localhost') => rawExchange(router.httpsPort!, pieces, waitMs, { servername });


beforeAll(async () => {
  const app = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push(req.headers);
      const text = `${req.method} ${req.url} ${body}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  app.on('upgrade', (_req, socket: net.Socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
  servers.push(app);
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const port = (app.address() as AddressInfo).port;
  table.replace([route('fast', port), route('secure', port, { httpsOnly: true }), route('sleepy', port, { state: 'stopped', upstreams: [] })]);
  const cert = await new SelfSignedIssuer().issue('fast.localhost');
  router = await startRouter({
    port: 0, host: '127.0.0.1', table, domain: 'localhost', wake: () => {},
    https: { port: 0, fallback: cert, context: () => createSecureContext({ key: cert.keyPem, cert: cert.certPem }) },
  });
});
afterAll(async () => {
  await router.close();
  for (const s of servers) if (s instanceof http.Server) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('HTTP/1.1 over TLS on the fast path', () => {
  it('serves kept-alive requests itself, telling the app X-Forwarded-Proto https and the client address', async () => {
    seen = [];
    const get = 'GET /a HTTP/1.1\r\nHost: fast.localhost\r\n\r\n';
    const c = await counting(() => tlsExchange([get, get, 'POST /b HTTP/1.1\r\nHost: fast.localhost\r\nContent-Length: 3\r\n\r\nabc']));
    expect(c).toEqual({ fast: 3, handedOver: 0, why: {} });
    expect(seen).toHaveLength(3);
    for (const h of seen) expect(h).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'fast.localhost' });
  });

  it('answers pipelined requests in order, each whole', async () => {
    const r = await tlsExchange(['GET /1 HTTP/1.1\r\nHost: fast.localhost\r\n\r\nGET /2 HTTP/1.1\r\nHost: fast.localhost\r\n\r\nGET /3 HTTP/1.1\r\nHost: fast.localhost\r\nConnection: close\r\n\r\n']);
    expect(statuses(r.text)).toEqual([200, 200, 200]);
    expect([...r.text.matchAll(/GET \/(\d) /g)].map((m) => m[1])).toEqual(['1', '2', '3']);
    expect(r.closed).toBe(true);
  });

  it('serves an https-only app over HTTPS without its redirect, and still redirects it over plain HTTP', async () => {
    seen = [];
    const c = await counting(() => tlsExchange(['GET /cart HTTP/1.1\r\nHost: secure.localhost\r\n\r\n'], 800, 'secure.localhost'));
    expect(c.fast).toBe(1);
    expect(seen[0]).toMatchObject({ 'x-forwarded-proto': 'https' });
    const plain = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port: router.port, host: '127.0.0.1', path: '/cart', headers: { host: 'secure.localhost' } }, resolve).on('error', reject));
    plain.resume();
    expect(plain.statusCode).toBe(308);
    expect(plain.headers.location).toBe('https://secure.localhost/cart');
  });

  it("hands what it does not take to Node's HTTPS server, on the same connection: a chunked upload, a page, an upgrade", async () => {
    seen = [];
    const chunked = 'POST /up HTTP/1.1\r\nHost: fast.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n';
    const c = await counting(() => tlsExchange(['GET /first HTTP/1.1\r\nHost: fast.localhost\r\n\r\n', chunked, 'GET /after HTTP/1.1\r\nHost: fast.localhost\r\n\r\n']));
    expect(c).toMatchObject({ fast: 1, handedOver: 1, why: { unusual: 1 } });
    expect(seen.map((h) => h['x-forwarded-proto'])).toEqual(['https', 'https', 'https']);
    const page = await tlsExchange(['GET / HTTP/1.1\r\nHost: sleepy.localhost\r\n\r\n'], 800, 'sleepy.localhost');
    expect(statuses(page.text)).toEqual([503]);
    const up = await tlsExchange(['GET /ws HTTP/1.1\r\nHost: fast.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n']);
    expect(statuses(up.text)).toEqual([101]);
  });

  it('refuses smuggling patterns as the plain listener does, the app never seeing the hidden request', async () => {
    const cases = [
      'POST / HTTP/1.1\r\nHost: fast.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: fast.localhost\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: fast.localhost\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /hidden HTTP/1.1\r\nHost: fast.localhost\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: fast.localhost\r\nX-A: b\rGET /hidden HTTP/1.1\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: fast.localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    ];
    for (const payload of cases) {
      seen = [];
      const r = await tlsExchange([payload]);
      expect(statuses(r.text)[0], payload).toBe(400);
      expect(seen.some((h) => h.host === undefined) || JSON.stringify(seen).includes('hidden'), payload).toBe(false);
    }
  });

  it('leaves h2 clients to HTTP/2', async () => {
    const before = routerStats.h2;
    const session = http2.connect(`https://127.0.0.1:${router.httpsPort}`, { servername: 'fast.localhost', rejectUnauthorized: false });
    const body = await new Promise<string>((resolve, reject) => {
      const s = session.request({ ':path': '/h2', ':authority': 'fast.localhost' });
      let text = '';
      s.on('data', (d: Buffer) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    session.close();
    expect(body).toBe('GET /h2 ');
    expect(routerStats.h2).toBe(before + 1);
  });
});
