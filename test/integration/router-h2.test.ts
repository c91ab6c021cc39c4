// HTTP/2 through the router daemon, as a browser-like client uses it: a page and its assets on one h2 connection
// (ALPN h2), reaching the app over HTTP/1.1 keep-alive with the same forwarded headers, limits and access log as
// HTTP/1.1 requests; HTTP/1.1 clients still get HTTP/1.1 on the same port.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { h2Connect, h2Request, recordingApp } from '../helpers/h2.ts';
import { freePort, httpsGet } from '../helpers/net.ts';
import { startRouterDaemon, type TestDaemon } from '../helpers/router-daemon.ts';

let daemon: TestDaemon;
let app: Awaited<ReturnType<typeof recordingApp>>;
let tlsPort: number;
const HOST = 'shop.localhost';

beforeAll(async () => {
  app = await recordingApp();
  const issuer = new SelfSignedIssuer();
  const certs = { fallback: await issuer.issue('minicloud'), names: { [HOST]: await issuer.issue(HOST) } };
  const routes = [{ app: 'shop', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running' as const, maxBodyBytes: 1000 }];
  daemon = await startRouterDaemon({ routes, certs, settings: { httpsPort: await freePort() } });
  tlsPort = daemon.status.settings.httpsPort!;
});
afterAll(async () => {
  await daemon?.stop();
  await app?.close();
});

it('serves a page and its assets over one h2 connection, the app getting HTTP/1.1 keep-alive requests', async () => {
  const session = await h2Connect(tlsPort, HOST);
  try {
    expect(session.alpnProtocol).toBe('h2');
    const page = await h2Request(session, HOST, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello over h2');
    expect(page.headers['x-request-id']).toBeTruthy();
    const [css, js] = await Promise.all([h2Request(session, HOST, '/app.css'), h2Request(session, HOST, '/app.js')]);
    expect([css.status, css.headers['content-type'], js.status]).toEqual([200, 'text/css', 200]);
    expect(js.body).toContain('loaded');
  } finally {
    session.close();
  }
  const got = app.seen.filter((s) => ['/', '/app.css', '/app.js'].includes(s.url));
  expect(got).toHaveLength(3);
  for (const s of got) {
    expect(s.httpVersion).toBe('1.1');
    expect(s.headers.host).toBe(HOST);
    expect(s.headers['x-forwarded-proto']).toBe('https');
    expect(s.headers['x-forwarded-host']).toBe(HOST);
    expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(Object.keys(s.headers).some((k) => k.startsWith(':'))).toBe(false);
  }
});

it('passes request bodies on, with and without a Content-Length', async () => {
  const session = await h2Connect(tlsPort, HOST);
  try {
    const sized = await h2Request(session, HOST, '/echo', { method: 'POST', headers: { 'content-length': '5' }, body: 'hello' });
    expect(sized.body).toBe('POST /echo hello');
    const streamed = await h2Request(session, HOST, '/echo', { method: 'POST', body: 'no length' });
    expect(streamed.body).toBe('POST /echo no length');
  } finally {
    session.close();
  }
  const up = app.seen.filter((s) => s.url === '/echo');
  expect(up.map((s) => s.headers['content-length'] ?? s.headers['transfer-encoding'])).toEqual(['5', 'chunked']);
});

it('answers with the router pages and limits over h2: 404, 431, 413', async () => {
  const session = await h2Connect(tlsPort, HOST);
  try {
    expect((await h2Request(session, 'nope.localhost', '/')).status).toBe(404);
    expect((await h2Request(session, HOST, '/', { headers: { 'x-big': 'a'.repeat(9000) } })).status).toBe(431);
    expect((await h2Request(session, HOST, '/echo', { method: 'POST', headers: { 'content-length': '2000' }, body: 'x'.repeat(2000) })).status).toBe(413);
    expect((await h2Request(session, HOST, '/echo', { method: 'POST', body: 'y'.repeat(5000) })).status).toBe(413);
    // The session is still good after refusals: they end a stream, not the connection.
    expect((await h2Request(session, HOST, '/app.css')).status).toBe(200);
  } finally {
    session.close();
  }
  expect(app.seen.some((s) => s.body.includes('x'.repeat(1001)) || s.body.includes('y'.repeat(1001)))).toBe(false);
});

it('writes h2 requests to the access log', async () => {
  const session = await h2Connect(tlsPort, HOST);
  await h2Request(session, HOST, '/logged-over-h2');
  session.close();
  await daemon.client.flush();
  const log = readFileSync(join(daemon.dir, 'logs', 'shop', 'router.log'), 'utf8');
  expect(log).toMatch(/GET shop\.localhost \/logged-over-h2 200 \d+ \d+ \S+/);
});

it('still speaks HTTP/1.1 to a client that does not offer h2', async () => {
  const r = await httpsGet(tlsPort, HOST, '/app.css');
  expect(r.status).toBe(200);
  expect(r.body).toContain('green');
});

it('finishes h2 requests under way through a router restart, and tells the client to reconnect (GOAWAY)', async () => {
  const session = await h2Connect(tlsPort, HOST);
  let goaway = false;
  session.on('goaway', () => void (goaway = true));
  session.on('error', () => {}); // the old worker's session ends after its last stream
  const slow = h2Request(session, HOST, '/slow');
  await new Promise((r) => setTimeout(r, 200)); // the request reached the app
  const restarted = daemon.client.restart();
  expect((await slow).body).toBe('slow done');
  await restarted;
  expect(goaway).toBe(true);
  const next = await h2Connect(tlsPort, HOST);
  expect((await h2Request(next, HOST, '/app.css')).status).toBe(200);
  next.close();
});
