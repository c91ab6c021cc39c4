// WebSockets over HTTP/2 (RFC 8441): an h2 client's extended CONNECT reaches the app as an HTTP/1.1 Upgrade, with the
// guard, routing, forwarded headers, access log and counters websockets over HTTP/1.1 get; hostile answers are refused.
import http from 'node:http';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { routerStats } from '../../proxy/edge/dispatch.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { RouteTable } from '../../src/routes/index.ts';

const HOST = 'chat.localhost';
const table = new RouteTable();
const logs: string[] = [];
let router: Router;
let app: http.Server;
let wss: WebSocketServer;
let liar: http.Server;
/** The upgrade requests that reached the app. */
const upgrades: http.IncomingHttpHeaders[] = [];
let closedAtApp = 0;

beforeAll(async () => {
  app = http.createServer((_req, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end('no websockets here'));
  wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('chat') ? 'chat' : false) });
  app.on('upgrade', (req, socket, head) => {
    upgrades.push(req.headers);
    if (req.url === '/declined') return void socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (m) => ws.send(`echo: ${String(m)}`));
      ws.on('close', () => closedAtApp++);
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  // A hostile app: a 101 whose Sec-WebSocket-Accept answers no key the router sent.
  liar = http.createServer();
  liar.on('upgrade', (_req, socket: Socket) => socket.on('end', () => socket.destroy()).write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSBhbnN3ZXI=\r\n\r\n'));
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  const up = (s: http.Server) => [{ host: '127.0.0.1', port: (s.address() as AddressInfo).port }];
  table.replace([
    { app: 'chat', hosts: [HOST], upstreams: up(app), state: 'running' },
    { app: 'liar', hosts: ['liar.localhost'], upstreams: up(liar), state: 'running' },
    { app: 'off', hosts: ['off.localhost'], upstreams: [], state: 'stopped' },
  ]);
  const cert = await new SelfSignedIssuer().issue(HOST);
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', log: (line) => logs.push(line), https: { port: 0, fallback: cert, context: () => { throw new Error('fallback'); } } });
});
afterAll(async () => {
  await router.close();
  wss.close();
  for (const s of [app, liar]) s.closeAllConnections();
  await Promise.all([app, liar].map((s) => new Promise((r) => s.close(r))));
});

async function session(): Promise<ClientHttp2Session> {
  const s = http2.connect(`https://127.0.0.1:${router.httpsPort}`, { servername: HOST, rejectUnauthorized: false });
  // The router must announce SETTINGS_ENABLE_CONNECT_PROTOCOL before a client may send an extended CONNECT.
  const settings = await new Promise<http2.Settings>((ok, fail) => (s.once('remoteSettings', ok), s.once('error', fail)));
  expect(settings.enableConnectProtocol).toBe(true);
  return s;
}

/** An extended CONNECT; resolves with the stream and its response headers. */
function connect(s: ClientHttp2Session, authority: string, path: string, more: http2.OutgoingHttpHeaders = {}) {
  const stream = s.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':authority': authority, ':path': path, 'sec-websocket-version': '13', ...more }, { endStream: false });
  return new Promise<{ stream: ClientHttp2Stream; headers: http2.IncomingHttpHeaders; body: string }>((ok, fail) => {
    stream.once('response', (headers) => {
      if (headers[':status'] === 200) return ok({ stream, headers, body: '' });
      let body = '';
      stream.on('data', (c: Buffer) => (body += c));
      stream.once('end', () => ok({ stream, headers, body }));
    });
    stream.once('error', fail);
  });
}

/** A client's text frame (masked, as RFC 6455 requires of clients), and the text of the server's next frame. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}
function nextText(stream: ClientHttp2Stream): Promise<string> {
  return new Promise((ok) => stream.once('data', (c: Buffer) => ok(c.subarray(2, 2 + (c[1]! & 0x7f)).toString())));
}

it('opens a websocket over h2: the app gets an HTTP/1.1 Upgrade with the forwarded headers; messages go both ways; logged and counted', async () => {
  const s = await session();
  const before = { ws: routerStats.ws, h2: routerStats.h2 };
  upgrades.length = 0;
  logs.length = 0;
  try {
    const { stream, headers } = await connect(s, HOST, '/socket?room=1', { 'sec-websocket-protocol': 'chat', 'x-forwarded-for': '6.6.6.6' });
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-protocol']).toBe('chat');
    expect(headers['x-request-id']).toBeTruthy();
    expect(headers['sec-websocket-accept']).toBeUndefined(); // HTTP/1.1's handshake stays between router and app
    const reply = nextText(stream);
    stream.write(frame('hello'));
    expect(await reply).toBe('echo: hello');
    const again = nextText(stream);
    stream.write(frame('twice'));
    expect(await again).toBe('echo: twice');
    expect(upgrades).toHaveLength(1);
    const h = upgrades[0]!;
    expect([h.host, h.upgrade, h.connection, h['x-forwarded-proto'], h['x-forwarded-for']]).toEqual([HOST, 'websocket', 'Upgrade', 'https', '127.0.0.1']);
    expect(h['x-request-id']).toBe(headers['x-request-id']);
    expect(Object.keys(h).some((k) => k.startsWith(':'))).toBe(false);
    const closed = closedAtApp;
    stream.close();
    await until(() => closedAtApp > closed && logs.length > 0);
  } finally {
    s.close();
  }
  expect(routerStats.ws - before.ws).toBe(1);
  expect(routerStats.h2 - before.h2).toBe(1);
  // As a websocket over HTTP/1.1 is logged: when it ends, with the bytes sent to the client (two frames of 13 and 13).
  expect(logs[0]).toMatch(new RegExp(`^CONNECT ${HOST} /socket\\?room=1 200 26 \\d+ \\S+ 127\\.0\\.0\\.1 `));
});

it('refuses what a websocket over HTTP/1.1 would be refused, on its stream, and relays an app that declines', async () => {
  const s = await session();
  try {
    expect((await connect(s, 'nobody.localhost', '/')).headers[':status']).toBe(404);
    expect((await connect(s, 'off.localhost', '/')).headers[':status']).toBe(503);
    const declined = await connect(s, HOST, '/declined');
    expect([declined.headers[':status'], declined.body]).toEqual([403, 'nope']);
  } finally {
    s.close();
  }
  // A protocol other than websocket never reaches an app (the guard's 400), nor does a :protocol without CONNECT.
  upgrades.length = 0;
  const t = await session();
  try {
    expect((await connect(t, HOST, '/', { ':protocol': 'connect-udp' })).headers[':status']).toBe(400);
    const get = await new Promise<number>((ok) => t.request({ ':method': 'GET', ':protocol': 'websocket', ':path': '/', ':authority': HOST }).once('response', (h) => ok(Number(h[':status']))).once('error', () => ok(0)));
    expect([0, 400]).toContain(get); // nghttp2 may reset it first
  } finally {
    t.close();
  }
  expect(upgrades).toHaveLength(0);
});

it("refuses an app's 101 that does not answer the router's key (502): nothing is relayed", async () => {
  const s = await session();
  try {
    const r = await connect(s, 'liar.localhost', '/');
    expect(r.headers[':status']).toBe(502);
  } finally {
    s.close();
  }
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((ok) => setTimeout(ok, 25));
  expect(check()).toBe(true);
}
