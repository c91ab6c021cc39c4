// Chromium loads a page and its assets over HTTP/2 through the router daemon (ALPN h2 on the HTTPS port), the app
// getting HTTP/1.1 requests; a websocket opened from that page still works, over its own HTTP/1.1 connection.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { openBrowser, type OpenBrowser } from '../helpers/browser.ts';
import { recordingApp } from '../helpers/h2.ts';
import { freePort } from '../helpers/net.ts';
import { startRouterDaemon, type TestDaemon } from '../helpers/router-daemon.ts';

let daemon: TestDaemon;
let app: Awaited<ReturnType<typeof recordingApp>>;
let b: OpenBrowser;
const upgraded = new Set<Duplex>();
const HOST = 'shop.localhost';

beforeAll(async () => {
  // *.localhost resolves to the loopback in Chromium; the certificate is self-signed.
  b = await openBrowser(['--ignore-certificate-errors']);
  app = await recordingApp();
  acceptWebsockets(app.server);
  const issuer = new SelfSignedIssuer();
  const certs = { fallback: await issuer.issue('minicloud'), names: { [HOST]: await issuer.issue(HOST) } };
  const routes = [{ app: 'shop', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running' as const }];
  daemon = await startRouterDaemon({ routes, certs, workers: 2, settings: { httpsPort: await freePort() } });
});
afterAll(async () => {
  await b?.browser.close();
  for (const s of upgraded) s.destroy(); // the app server's close() waits for upgraded sockets too
  await daemon?.stop();
  await app?.close();
});

it('loads a page and its assets over h2', async () => {
  const url = `https://${HOST}:${daemon.status.settings.httpsPort}/`;
  const response = await b.page.goto(url);
  expect(response?.status()).toBe(200);
  expect(await b.page.title()).toBe('loaded'); // app.js ran (goto waits for the load event)
  const protocols = await b.page.evaluate(() => [
    (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
    ...performance.getEntriesByType('resource').map((e) => `${new URL(e.name).pathname} ${(e as PerformanceResourceTiming).nextHopProtocol}`),
  ]);
  expect(protocols[0]).toBe('h2');
  expect(protocols).toEqual(expect.arrayContaining(['/app.css h2', '/app.js h2']));
  expect(protocols.filter((p) => !p.endsWith('h2'))).toEqual([]); // the favicon too, when Chromium asked for it
  expect(await b.page.evaluate(() => getComputedStyle(document.body).color)).toBe('rgb(0, 128, 0)'); // app.css applied
  expect((await response!.securityDetails())?.protocol).toMatch(/^TLS 1\.[23]$/);
  const got = app.seen.filter((s) => ['/', '/app.css', '/app.js'].includes(s.url));
  expect(got.map((s) => [s.url, s.httpVersion, s.headers['x-forwarded-proto']])).toEqual(expect.arrayContaining([['/', '1.1', 'https'], ['/app.css', '1.1', 'https'], ['/app.js', '1.1', 'https']]));
});

it('opens a websocket from the h2 page (over HTTP/1.1)', async () => {
  // A string, not a function: what vitest's transform makes of a function need not run in the page.
  const said = await b.page.evaluate(`new Promise((resolve) => {
    const ws = new WebSocket('wss://' + location.host + '/ws');
    ws.onmessage = (m) => { resolve(String(m.data)); ws.close(); };
    ws.onclose = (e) => resolve('closed ' + e.code);
    setTimeout(() => resolve('no message in 30 s'), 30000);
  })`);
  expect(said).toBe('hello over wss');
});

/** A websocket handshake by hand (RFC 6455 §4.2.2), then one text frame: enough for a browser to see it work. */
function acceptWebsockets(server: Server): void {
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const text = Buffer.from('hello over wss');
    socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
    socket.on('data', () => socket.end()); // the browser's close frame: ours is the TCP close
    socket.on('error', () => {});
    upgraded.add(socket);
  });
}
