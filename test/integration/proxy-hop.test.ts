// Hop-by-hop headers over real sockets: they stop at the router both ways, and Node frames each side itself.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';
import { rawExchange } from '../helpers/net.ts';

let router: Router;
const table = new RouteTable();
const servers: http.Server[] = [];
async function serve(handler: http.RequestListener, setup?: (s: http.Server) => void): Promise<number> {
  const s = http.createServer(handler);
  setup?.(s);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}
const route = (app: string, port: number): Route => ({ app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running' });

function request(host: string, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<{ res: http.IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: router.port, method: body ? 'POST' : 'GET', agent: false, headers: { host, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ res, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
/** Raw bytes in, everything the router answers until it closes (or `waitMs`) out. */
const raw = async (data: string, waitMs = 1000) => (await rawExchange(router.port, data, waitMs)).text;

beforeAll(async () => {
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost' });
  const echo = await serve((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => res.end(JSON.stringify({ headers: req.headers, body })));
  });
  // An app that sends every hop-by-hop header it can, chunked, and asks to close.
  const chatty = await serve((_req, res) => {
    res.writeHead(200, {
      connection: 'close, X-Internal',
      'x-internal': '1',
      'keep-alive': 'timeout=99, max=7',
      'proxy-connection': 'keep-alive',
      trailer: 'x-checksum',
      'transfer-encoding': 'chunked',
      'x-public': 'yes',
    });
    res.write('chunk one, ');
    res.end('chunk two');
  });
  table.replace([route('echo', echo), route('chatty', chatty)]);
});
afterAll(async () => {
  await router.close();
  await Promise.all(servers.map((s) => (s.closeAllConnections(), new Promise((r) => s.close(r)))));
});

describe('request to the app', () => {
  it('drops hop-by-hop headers and those the Connection header names, and reframes the body', async () => {
    const { text } = await request('echo.localhost', {
      connection: 'close, X-Secret',
      'transfer-encoding': 'chunked',
      'x-secret': 'for the router only',
      'keep-alive': 'timeout=99',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      trailer: 'x-checksum',
      upgrade: 'h2c', // without `Connection: upgrade`, a plain header
      'x-kept': 'end to end',
    }, 'the body');
    const { headers, body } = JSON.parse(text);
    expect(body).toBe('the body');
    expect(headers['transfer-encoding']).toBe('chunked'); // the router's own chunks, not the client's header
    for (const h of ['x-secret', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) expect(headers[h], h).toBeUndefined();
    expect(headers['x-kept']).toBe('end to end');
    expect(headers.connection).toBe('keep-alive'); // the router's own, to its pool
  });

  it('does not let the Connection header remove Host, the body length or the forwarded headers', async () => {
    const { text } = await request('echo.localhost', { connection: 'Host, Content-Length, X-Forwarded-For, X-Request-Id' }, 'the body');
    const { headers, body } = JSON.parse(text);
    expect(body).toBe('the body');
    expect(headers).toMatchObject({ host: 'echo.localhost', 'content-length': '8', 'x-forwarded-for': '127.0.0.1' });
    expect(headers['x-request-id']).toMatch(/^[\w.-]+$/);
  });
});

describe('response to the client', () => {
  it('drops hop-by-hop headers and those the Connection header names', async () => {
    const { res, text } = await request('chatty.localhost');
    expect(text).toBe('chunk one, chunk two');
    expect(res.headers['x-internal']).toBeUndefined();
    expect(res.headers['proxy-connection']).toBeUndefined();
    expect(res.headers.trailer).toBeUndefined();
    expect(res.headers['keep-alive'] ?? '').not.toContain('max=7');
    expect(res.headers['x-public']).toBe('yes');
  });

  it("keeps the client's connection open when the app asks its own to close", async () => {
    const twice = `GET / HTTP/1.1\r\nHost: chatty.localhost\r\n\r\nGET / HTTP/1.1\r\nHost: chatty.localhost\r\nConnection: close\r\n\r\n`;
    const text = await raw(twice);
    expect(text.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    expect(text.match(/chunk two/g)).toHaveLength(2);
  });

  it('frames a chunked answer for an HTTP/1.0 client by closing, not chunks it cannot read', async () => {
    const text = await raw('GET / HTTP/1.0\r\nHost: chatty.localhost\r\n\r\n');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(head).toMatch(/^connection: close$/im);
    expect(body).toBe('chunk one, chunk two');
  });
});

describe('websocket upgrades', () => {
  it('keep Upgrade and Connection: Upgrade, and drop the rest both ways', async () => {
    const port = await serve(
      (_req, res) => res.end(),
      (s) =>
        s.on('upgrade', (req, socket) => {
          const saw = ['x-secret', 'keep-alive', 'upgrade'].map((h) => `${h}=${req.headers[h] ?? ''}`).join(';');
          socket.on('end', () => socket.destroy()); // the router hung up
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Internal\r\nX-Internal: 1\r\nX-Saw: ${saw}\r\n\r\n`);
        }),
    );
    table.replace([...table.routes(), route('ws', port)]);
    const headers = { host: 'ws.localhost', connection: 'Upgrade, X-Secret', upgrade: 'websocket', 'x-secret': 's', 'keep-alive': '1', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ port: router.port, agent: false, headers });
      req.on('upgrade', (r: http.IncomingMessage, socket: Socket) => (socket.destroy(), resolve(r)));
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(101);
    expect(res.headers['x-saw']).toBe('x-secret=;keep-alive=;upgrade=websocket');
    expect(res.headers['x-internal']).toBeUndefined();
    expect(res.headers).toMatchObject({ upgrade: 'websocket', connection: 'Upgrade' });
  });
});
