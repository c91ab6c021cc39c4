// A websocket to an instance whose node died outright (its SYNs go unanswered: no reset, no ICMP) fails in the connect
// limit's 3 s with a 502, and the instance goes out of rotation, over HTTP/1.1 and over HTTP/2 (RFC 8441), as plain
// requests do; not a 504 after the route's whole upstream timeout. The dead node is a port whose SYNs iptables drops.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { RouteTable, type Upstream } from '../../src/routes/index.ts';
import { freePort } from '../helpers/net.ts';

const table = new RouteTable();
let router: Router;
let app: http.Server;
let dead: Upstream;
let rule: string[] = [];
const health: string[] = [];

beforeAll(async () => {
  app = http.createServer((_req, res) => res.end('plain'));
  app.on('upgrade', (_req, socket: net.Socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const port = await freePort();
  dead = { host: '127.0.0.1', port };
  rule = ['INPUT', '-i', 'lo', '-p', 'tcp', '--dport', String(port), '--syn', '-j', 'DROP', '-m', 'comment', '--comment', `mc-test-ws-dead-${port}`];
  execFileSync('iptables', ['-w', '-I', ...rule]);
  // A long upstream timeout: waiting it out (the old way) would take the whole test's time.
  table.replace([{ app: 'gone', hosts: ['gone.localhost'], upstreams: [dead], state: 'running', timeoutMs: 60_000 }]);
  table.onHealth((_app, u, why) => health.push(`${u.port} ${why}`));
  const cert = await new SelfSignedIssuer().issue('gone.localhost');
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', wake: () => {}, https: { port: 0, fallback: cert, context: () => { throw new Error('fallback'); } } });
});
afterAll(async () => {
  try { execFileSync('iptables', ['-w', '-D', ...rule]); } catch { /* never added */ }
  await router?.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

/** An HTTP/1.1 Upgrade through the router: the status line's code, and how long it took. */
function upgrade(): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(router.port, '127.0.0.1', () => s.write('GET /ws HTTP/1.1\r\nHost: gone.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) (s.destroy(), resolve({ status: Number(m[1]), ms: performance.now() - t }));
    });
    s.on('error', reject);
    s.on('close', () => resolve({ status: 0, ms: performance.now() - t }));
  });
}

describe('a websocket to an instance that never answers its connect', () => {
  it('gets a 502 within the 3 s connect limit over HTTP/1.1, not a 504 after the 60 s timeout', async () => {
    const r = await upgrade();
    expect(r.status).toBe(502);
    expect(r.ms).toBeGreaterThan(2500);
    expect(r.ms).toBeLessThan(8000);
    // Out of rotation, by the websocket's own failure or by the prober's (whichever came first).
    expect(health.some((h) => h.startsWith(`${dead.port} `))).toBe(true);
  });

  it('gets a 502 within the connect limit over HTTP/2 (extended CONNECT) too', async () => {
    const session = http2.connect(`https://127.0.0.1:${router.httpsPort}`, { servername: 'gone.localhost', rejectUnauthorized: false });
    await new Promise((ok, fail) => (session.once('remoteSettings', ok), session.once('error', fail)));
    const t = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const s = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/ws', ':authority': 'gone.localhost', 'sec-websocket-version': '13' });
      s.on('response', (h) => resolve(Number(h[':status'])));
      s.on('error', reject);
    });
    const ms = performance.now() - t;
    session.destroy();
    expect(status).toBe(502);
    expect(ms).toBeGreaterThan(2500);
    expect(ms).toBeLessThan(8000);
  });

  it('goes to the live instance once the dead one is out of rotation', async () => {
    const live = { host: '127.0.0.1', port: (app.address() as AddressInfo).port };
    table.replace([{ app: 'gone', hosts: ['gone.localhost'], upstreams: [dead, live], state: 'running', timeoutMs: 60_000 }]);
    table.suspect(dead, 'ECONNTIMEOUT'); // as the failure above left it (a new table keeps no word on it)
    for (let i = 0; i < 3; i++) expect((await upgrade()).status).toBe(101);
  });
});
