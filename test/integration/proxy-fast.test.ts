// The router's fast path over real sockets: which requests it serves itself, how it frames them, and what it leaves to Node's server.
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerStats, type HandOver } from '../../proxy/edge/dispatch.ts';
import { counting } from '../helpers/router-stats.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

let router: Router;
const table = new RouteTable();
const logs: string[] = [];
const servers: Array<http.Server | net.Server> = [];
let appPort = 0;
/** The last request the app saw, and whether its client (the router) went away. */
let seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
let aborted = false;

const route = (app: string, port: number, more: Partial<Route> = {}): Route => ({ app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running', ...more });

async function listen<T extends http.Server | net.Server>(s: T): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** Writes each piece (a pause between them), and collects what comes back until the router closes or `waitMs` passes. */
const raw = (pieces: string[], waitMs = 600) => rawExchange(router.port, pieces, waitMs);

beforeAll(async () => {
  const app = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    res.on('close', () => void (res.writableFinished || (aborted = true)));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body };
      const u = req.url ?? '/';
      if (u === '/chunked') {
        res.writeHead(200, { trailer: 'x-sum', 'x-kind': 'chunked' });
        res.write('one,');
        res.addTrailers({ 'x-sum': '7' });
        return void res.end('two');
      }
      if (u === '/204') return void res.writeHead(204).end();
      if (u === '/304') return void res.writeHead(304, { 'content-length': '10', etag: '"x"' }).end();
      if (u === '/slow') return; // never answers
      if (u === '/die') return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(`hi ${u}`), connection: 'keep-alive, x-internal', 'x-internal': '1', 'x-request-id': 'forged', 'x-name': 'caf\xe9' });
      res.end(req.method === 'HEAD' ? undefined : `hi ${u}`);
    });
  });
  app.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
  appPort = await listen(app);
  // An HTTP/1.0-style app: no length, the end of the body is the end of the connection.
  const closing = net.createServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end')));
  const closingPort = await listen(closing);
  // An app that drops a kept-alive connection just as the second request on it arrives (a stale keep-alive).
  const stale = net.createServer((s) => {
    let n = 0;
    s.on('data', () => (++n === 1 ? s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') : s.destroy()));
  });
  const stalePort = await listen(stale);
  table.replace([route('fast', appPort), route('closing', closingPort), route('stale', stalePort), route('quick', appPort, { timeoutMs: 300 }), route('sleepy', appPort, { state: 'sleeping', upstreams: [] })]);
  router = await startRouter({
    port: 0, host: '127.0.0.1', table, domain: 'localhost', log: (line) => logs.push(line),
    wake: (app) => setTimeout(() => table.replace(table.routes().map((r) => (r.app === app ? { ...r, state: 'running', upstreams: [{ host: '127.0.0.1', port: appPort }] } : r))), 50),
  });
});
afterAll(async () => {
  await router.close();
  for (const s of servers) if (s instanceof http.Server) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('served by the fast path', () => {
  it('a keep-alive GET: forwarded headers set, hop-by-hop ones dropped both ways, logged', async () => {
    logs.length = 0;
    let r = { text: '', closed: false };
    const n = await counting(async () => (r = await raw([`GET /a?b HTTP/1.1\r\nHost: fast.localhost\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nX-Request-Id: my-id\r\n\r\n`])));
    expect(n).toEqual({ fast: 1, handedOver: 0, why: {} });
    expect(statuses(r.text)).toEqual([200]);
    expect(r.text).toMatch(/\r\nx-request-id: my-id\r\n/);
    expect(r.text).not.toMatch(/x-internal|forged/i);
    expect(r.text).toContain('\r\nx-name: caf\xc3\xa9\r\n'); // the two bytes Node's app sends for é, relayed as they came
    expect(r.text).toMatch(/\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n/);
    expect(r.text.endsWith('\r\n\r\nhi /a?b')).toBe(true);
    expect(seen.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'fast.localhost', 'x-forwarded-port': String(router.port), 'x-request-id': 'my-id', connection: 'keep-alive' });
    expect(seen.headers!['x-secret']).toBeUndefined();
    await new Promise((res) => setTimeout(res, 20));
    expect(logs).toEqual([expect.stringMatching(/^GET fast\.localhost \/a\?b 200 7 \d+ my-id 127\.0\.0\.1 "-"$/)]);
  });

  it('HEAD with a length and no body, 204, 304, then a GET on the same connection', async () => {
    const H = 'Host: fast.localhost\r\n';
    const n = await counting(async () => {
      const r = await raw([`HEAD /h HTTP/1.1\r\n${H}\r\nGET /204 HTTP/1.1\r\n${H}\r\nGET /304 HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`]);
      expect(statuses(r.text)).toEqual([200, 204, 304, 200]);
      expect(r.text).toMatch(/content-length: 5\r\n/); // HEAD's, for a body not sent
      expect(r.text.endsWith('hi /after')).toBe(true);
      expect(r.text).toMatch(/\r\nConnection: close\r\n/);
      expect(r.closed).toBe(true);
    });
    expect(n).toEqual({ fast: 4, handedOver: 0, why: {} });
  });

  it('a chunked answer: chunks passed on, trailers dropped, the connection still usable', async () => {
    const r = await raw([`GET /chunked HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`, `GET /next HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`]);
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(r.text).toMatch(/Transfer-Encoding: chunked\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\nHTTP\/1\.1 200/);
    expect(r.text).not.toMatch(/x-sum|trailer/i);
  });

  it('a close-delimited answer is re-chunked, and the client keeps its connection', async () => {
    const r = await raw([`GET / HTTP/1.1\r\nHost: closing.localhost\r\n\r\n`, `GET /x HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`]);
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(r.text).toContain('Transfer-Encoding: chunked\r\n\r\nd\r\nuntil the end\r\n0\r\n\r\n');
    expect(r.text.endsWith('hi /x')).toBe(true);
  });

  it('a POST body split across packets, then a pipelined request', async () => {
    const n = await counting(async () => {
      const r = await raw([`POST /p HTTP/1.1\r\nHost: fast.localhost\r\nContent-Length: 10\r\n\r\nhello`, ` worlGET /q HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`]);
      expect(statuses(r.text)).toEqual([200, 200]);
    });
    expect(n.fast).toBe(2);
    expect(seen).toMatchObject({ method: 'GET', url: '/q' });
  });

  it('504 after the route’s idle timeout, 502 when the app drops the request, and the connection goes on', async () => {
    const r = await raw([`GET /slow HTTP/1.1\r\nHost: quick.localhost\r\n\r\nGET /die HTTP/1.1\r\nHost: fast.localhost\r\n\r\nGET /ok HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`], 1500);
    expect(statuses(r.text)).toEqual([504, 502, 200]);
  });

  it('a GET that meets a kept-alive connection the app just closed is sent again on a new one', async () => {
    const r = await raw([`GET /1 HTTP/1.1\r\nHost: stale.localhost\r\n\r\n`, `GET /2 HTTP/1.1\r\nHost: stale.localhost\r\n\r\n`]);
    expect(statuses(r.text)).toEqual([200, 200]);
  });

  it('a client that leaves takes the app’s request with it', async () => {
    aborted = false;
    const s = net.connect(router.port, '127.0.0.1', () => s.write('GET /slow HTTP/1.1\r\nHost: fast.localhost\r\n\r\n'));
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(logs.at(-1)).toMatch(/^GET fast\.localhost \/slow 499 0 /);
  });
});

describe('left to the slow path', () => {
  const cases: Record<string, [string, number, HandOver]> = {
    'a chunked upload': ['POST /up HTTP/1.1\r\nHost: fast.localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 200, 'unusual'],
    'a websocket upgrade': ['GET /ws HTTP/1.1\r\nHost: fast.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 101, 'unusual'],
    'a smuggling pattern (CL.TE)': ['POST / HTTP/1.1\r\nHost: fast.localhost\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG', 400, 'unusual'],
    'a sleeping app': ['GET /zz HTTP/1.1\r\nHost: sleepy.localhost\r\nConnection: close\r\n\r\n', 200, 'no-instance'],
    'an unknown host': ['GET / HTTP/1.1\r\nHost: nobody.localhost\r\nConnection: close\r\n\r\n', 404, 'no-app'],
  };
  for (const [name, [request, status, why]] of Object.entries(cases)) {
    it(name, async () => {
      let r = { text: '', closed: false };
      const n = await counting(async () => (r = await raw([request], 1000)));
      expect(statuses(r.text)).toEqual([status]);
      expect(n).toEqual({ fast: 0, handedOver: 1, why: { [why]: 1 } });
    });
  }

  it('after a fast request, the next odd one on the connection', async () => {
    let r = { text: '', closed: false };
    const n = await counting(async () => (r = await raw([`GET /1 HTTP/1.1\r\nHost: fast.localhost\r\n\r\n`, 'POST /2 HTTP/1.1\r\nHost: fast.localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'])));
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(seen).toMatchObject({ method: 'POST', url: '/2', body: 'ok' });
    expect(n).toEqual({ fast: 1, handedOver: 1, why: { unusual: 1 } });
  });
});
