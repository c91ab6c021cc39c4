// The edge router over real sockets: real upstream servers, the router on port 0, requests with a Host header.
// biome-ignore-all lint/style/noExcessiveLinesPerFile: one engine-agnostic suite of the router over real sockets; to be split by engine
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer; text: string; json: () => any }
interface ReqOpts { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer; port?: number }

const servers: http.Server[] = [];
async function serve(handler: http.RequestListener, setup?: (s: http.Server) => void): Promise<number> {
  const s = http.createServer(handler);
  setup?.(s);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}
/** An upstream that answers with who it is and what it saw. */
const app = (name: string) =>
  serve((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
  });
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

let router: Router;
const table = new RouteTable();
const logs: string[] = [];
const route = (name: string, ports: number[], state: Route['state'] = 'running', hosts = [`${name}.localhost`]): Route => ({
  app: name,
  hosts,
  upstreams: ports.map((port) => ({ host: '127.0.0.1', port })),
  state,
});

function request(host: string, o: ReqOpts = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { port: o.port ?? router.port, path: o.path ?? '/', method: o.method ?? 'GET', agent: false, headers: { host, ...o.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString(), json: () => JSON.parse(body.toString()) });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

beforeAll(async () => {
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', log: (l) => logs.push(l) });
});
afterAll(async () => {
  await router.close();
  await router.close(); // safe twice
  await Promise.all(servers.map((s) => (s.closeAllConnections(), new Promise((r) => s.close(r)))));
});
beforeEach(() => table.replace([]));

describe('routing', () => {
  it('routes by Host, with or without a port, in any case', async () => {
    table.replace([route('hello', [await app('hello')]), route('other', [await app('other')])]);
    for (const host of ['hello.localhost', `hello.localhost:${router.port}`, 'HELLO.LocalHost']) {
      const r = await request(host, { path: '/x?y=1' });
      expect(r.status, host).toBe(200);
      expect(r.json()).toMatchObject({ name: 'hello', url: '/x?y=1', headers: { host } });
    }
    expect((await request('other.localhost')).json().name).toBe('other');
    expect(logs.at(-1)).toMatch(/^GET other\.localhost \/ 200 \d+ \d+ [\w.-]+ 127\.0\.0\.1 "[^"]*"$/);
  });

  it('round-robins over two upstreams', async () => {
    table.replace([route('rr', [await app('a'), await app('b')])]);
    const names = [];
    for (let i = 0; i < 4; i++) names.push((await request('rr.localhost')).json().name);
    expect(names.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('prefers an exact host over a wildcard', async () => {
    table.replace([route('wild', [await app('wild')], 'running', ['*.apps.test']), route('www', [await app('www')], 'running', ['www.apps.test'])]);
    expect((await request('www.apps.test')).json().name).toBe('www');
    expect((await request('api.apps.test')).json().name).toBe('wild');
    expect((await request('a.b.apps.test')).status).toBe(404);
  });

  it('takes a table.replace into account on the next request', async () => {
    table.replace([route('hello', [await app('v1')])]);
    expect((await request('hello.localhost')).json().name).toBe('v1');
    table.replace([route('hello', [await app('v2')])]);
    expect((await request('hello.localhost')).json().name).toBe('v2');
  });
});

describe('router pages', () => {
  it('404s an unknown host with an escaped, helpful page', async () => {
    const r = await request('nope.localhost');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text).toContain('<title>No app here</title>');
    expect(r.text).toContain('nope.localhost');
    expect(r.text).toContain('minicloud apps:create nope');
    expect(r.text).toContain('&lt;app&gt;.localhost');
    const evil = await request('<script>x</script>');
    expect(evil.status).toBe(400); // an invalid Host is refused, and never echoed back
    expect(evil.text).not.toContain('<script>');
  });

  it('503s a stopped app at once', async () => {
    table.replace([route('sleepy', [await app('x')], 'stopped')]);
    const stopped = await request('sleepy.localhost');
    expect(stopped.status).toBe(503);
    expect(stopped.text).toContain('App stopped');
    expect(stopped.text).toContain('minicloud apps:start sleepy');
    expect(table.waiting('sleepy')).toBe(0);
  });

  it('502s a dead upstream and keeps serving', async () => {
    table.replace([route('dead', [await deadPort()]), route('hello', [await app('hello')])]);
    const r = await request('dead.localhost', { method: 'POST', body: Buffer.alloc(100_000) });
    expect(r.status).toBe(502);
    expect(r.text).toContain('App not answering');
    expect(r.text).toContain('minicloud logs dead');
    expect((await request('hello.localhost')).status).toBe(200);
  });

  it('cuts the client off when an upstream dies mid-body, and keeps serving', async () => {
    const port = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 50);
    });
    table.replace([route('flaky', [port]), route('hello', [await app('hello')])]);
    await expect(request('flaky.localhost')).rejects.toThrow();
    expect((await request('hello.localhost')).status).toBe(200);
  });

  it('504s a slow upstream after timeoutMs', async () => {
    const slow = await startRouter({ port: 0, table, domain: 'localhost', timeoutMs: 200 });
    try {
      table.replace([route('slow', [await serve((_req, res) => void setTimeout(() => res.end('late'), 2000))])]);
      const r = await request('slow.localhost', { port: slow.port });
      expect(r.status).toBe(504);
      expect(r.text).toContain('App timed out');
    } finally {
      await slow.close();
    }
  });

  it("504s after the route's own timeoutMs, which overrides the router's", async () => {
    const slowApp = await serve((_req, res) => void setTimeout(() => res.end('late'), 400));
    table.replace([{ ...route('quick', [slowApp]), timeoutMs: 100 }, { ...route('patient', [slowApp]), timeoutMs: 2000 }]);
    const quick = await request('quick.localhost');
    expect(quick.status).toBe(504);
    expect(quick.text).toContain('within 0.1 s');
    const slow = await startRouter({ port: 0, table, domain: 'localhost', timeoutMs: 200 });
    try {
      expect((await request('patient.localhost', { port: slow.port })).text).toBe('late');
    } finally {
      await slow.close();
    }
  });

  it('fails to start on a busy port, and close() stays safe', async () => {
    await expect(startRouter({ port: router.port, host: '127.0.0.1', table, domain: 'localhost' })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('forwarding', () => {
  it('overwrites spoofed forwarded headers', async () => {
    table.replace([route('hello', [await app('hello')])]);
    const host = `hello.localhost:${router.port}`;
    const spoof = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6' };
    const { headers } = (await request(host, { headers: spoof })).json();
    expect(headers).toMatchObject({ host, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': host });
    expect(headers['x-forwarded-port']).toBe(String(router.port));
    expect(headers.forwarded).toBeUndefined();
  });

  it('passes a valid request id through and replaces an invalid one', async () => {
    table.replace([route('hello', [await app('hello')])]);
    const kept = await request('hello.localhost', { headers: { 'x-request-id': 'abc-123.X_y' } });
    expect(kept.headers['x-request-id']).toBe('abc-123.X_y');
    expect(kept.json().headers['x-request-id']).toBe('abc-123.X_y');
    const made = await request('hello.localhost', { headers: { 'x-request-id': 'bad id; rm -rf' } });
    const id = made.headers['x-request-id'];
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    expect(made.json().headers['x-request-id']).toBe(id);
    expect((await request('nope.localhost')).headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  it('streams a 5 MB request body both ways without buffering it', async () => {
    table.replace([route('echo', [await serve((req, res) => req.pipe(res))])]);
    const body = Buffer.alloc(5 * 1024 * 1024, 'minicloud');
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ port: router.port, method: 'POST', agent: false, headers: { host: 'echo.localhost' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          // The rest of the body is only sent once the first MB came back: a buffering proxy would hang here.
          if (chunks.length === 0) req.end(body.subarray(1024 * 1024));
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1024 * 1024));
    });
    expect(echoed.length).toBe(body.length);
    expect(echoed.equals(body)).toBe(true);
  });
});

function upgrade(host: string, port = router.port): Promise<{ res: http.IncomingMessage; socket?: Socket }> {
  return new Promise((resolve, reject) => {
    const headers = { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const req = http.request({ port, agent: false, headers });
    req.on('upgrade', (res, socket) => resolve({ res, socket }));
    req.on('response', (res) => resolve({ res }));
    req.on('error', reject);
    req.end();
  });
}
/** A WebSocket-ish upstream: accepts any upgrade, then echoes raw bytes. */
const wsEcho = () =>
  serve(
    (_req, res) => res.end(),
    (s) =>
      s.on('upgrade', (req, socket, head) => {
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Saw-For: ${req.headers['x-forwarded-for']}\r\n\r\n`);
        if (head.length) socket.write(head);
        socket.pipe(socket);
      }),
  );
async function echoes(socket: Socket): Promise<void> {
  const echoed = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
  socket.write('ping through the router');
  expect(await echoed).toBe('ping through the router');
  socket.destroy();
}

describe('websockets', () => {
  it('proxies an upgrade and echoes raw bytes', async () => {
    table.replace([route('ws', [await wsEcho()])]);
    const { res, socket } = await upgrade('ws.localhost');
    expect(res.statusCode).toBe(101);
    expect(res.headers['x-saw-for']).toBe('127.0.0.1');
    expect(res.headers['x-request-id']).toMatch(/^[\w.-]+$/);
    await echoes(socket!);
  });

  it('answers an unknown host with a bare 404', async () => {
    const { res } = await upgrade('nope.localhost');
    expect(res.statusCode).toBe(404);
    res.resume();
  });
});

describe('sleep and wake', () => {
  let sleepy: Router;
  let quick: Router;
  const wakes: string[] = [];
  const seen: string[] = [];
  let onWake: (app: string) => void = () => {};
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 300 && !cond(); i++) await sleep(10);
    expect(cond()).toBe(true);
  }

  beforeAll(async () => {
    const hooks = { wake: (a: string) => (wakes.push(a), onWake(a)), onRequest: (a: string) => void seen.push(a) };
    sleepy = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', log: (l) => logs.push(l), ...hooks });
    quick = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', wakeTimeoutMs: 200, startingHoldMs: 100 });
  });
  afterAll(async () => {
    await sleepy.close();
    await quick.close();
  });
  beforeEach(() => {
    wakes.length = 0;
    seen.length = 0;
    onWake = () => {};
  });

  it('holds requests to a sleeping app, wakes it once, then serves them all, bodies intact', async () => {
    const port = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString() })));
    });
    table.replace([route('nap', [], 'sleeping')]);
    const held = [
      request('nap.localhost', { port: sleepy.port }),
      request('nap.localhost', { port: sleepy.port }),
      request('nap.localhost', { port: sleepy.port, method: 'POST', body: Buffer.from('kept while asleep') }),
    ];
    let answered = 0;
    for (const r of held) void r.then(() => answered++);
    await until(() => table.waiting('nap') === 3);
    await sleep(50);
    expect(answered).toBe(0); // held, not answered
    expect(wakes).toEqual(['nap']);
    expect(seen).toEqual(['nap', 'nap', 'nap']);
    table.replace([route('nap', [port])]);
    const replies = await Promise.all(held);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies[2]!.json()).toEqual({ method: 'POST', body: 'kept while asleep' });
    expect(table.waiting('nap')).toBe(0);
  });

  it('holds a starting app with no instance and serves it once an upstream appears', async () => {
    table.replace([route('boot', [], 'starting')]);
    const held = request('boot.localhost'); // the default router: no wake hook, 10 s hold
    await until(() => table.waiting('boot') === 1);
    table.replace([route('boot', [await app('boot')])]);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.json().name).toBe('boot');
    // and with a wake hook, it is asked to start it
    const port = await app('boot2');
    table.replace([route('boot', [], 'starting')]);
    onWake = (a) => table.replace([route(a, [port])]);
    expect((await request('boot.localhost', { port: sleepy.port })).json().name).toBe('boot2');
    expect(wakes).toEqual(['boot']);
  });

  it('503s with Retry-After when the app does not start in time', async () => {
    table.replace([route('nap', [], 'sleeping'), route('boot', [], 'starting')]);
    const start = performance.now();
    const r = await request('nap.localhost', { port: quick.port, method: 'POST', body: Buffer.alloc(100_000) });
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.text).toContain('App is waking up');
    expect(r.text).toContain('did not start in time');
    expect(r.text).toContain('minicloud logs nap');
    const starting = await request('boot.localhost', { port: quick.port });
    expect(starting.status).toBe(503);
    expect(starting.text).toContain('App is starting');
    expect(table.waiting('nap') + table.waiting('boot')).toBe(0);
  });

  it('answers a held request for what the app became: stopped or removed', async () => {
    table.replace([route('nap', [], 'sleeping'), route('gone', [], 'sleeping')]);
    const stopped = request('nap.localhost', { port: sleepy.port });
    const removed = request('gone.localhost', { port: sleepy.port });
    await until(() => table.waiting('nap') + table.waiting('gone') === 2);
    table.replace([route('nap', [], 'stopped')]);
    expect((await stopped).text).toContain('App stopped');
    expect((await removed).status).toBe(404);
  });

  it('drops the waiter of a client that leaves, and never writes to it', async () => {
    let hits = 0;
    const port = await serve((_req, res) => void (hits++, res.end('late')));
    table.replace([route('nap', [], 'sleeping')]);
    const req = http.request({ port: sleepy.port, agent: false, headers: { host: 'nap.localhost' } });
    req.on('error', () => {});
    req.end();
    await until(() => table.waiting('nap') === 1);
    req.destroy();
    await until(() => table.waiting('nap') === 0);
    table.replace([route('nap', [port])]);
    await sleep(50);
    expect(hits).toBe(0);
    expect(logs.some((l) => /^GET nap\.localhost \/ 499 /.test(l))).toBe(true);
  });

  it('calls onRequest for every request routed to an app, in any state', async () => {
    table.replace([route('on', [await app('on')]), route('off', [1], 'stopped')]);
    await request('on.localhost', { port: sleepy.port });
    await request('on.localhost', { port: sleepy.port });
    await request('off.localhost', { port: sleepy.port });
    await request('nope.localhost', { port: sleepy.port });
    (await upgrade('off.localhost', sleepy.port)).res.resume();
    expect(seen).toEqual(['on', 'on', 'off', 'off']);
    expect(wakes).toEqual([]);
  });

  it('holds a websocket upgrade to a sleeping app and completes it after the wake', async () => {
    const port = await wsEcho();
    table.replace([route('wsnap', [], 'sleeping')]);
    onWake = (a) => void setTimeout(() => table.replace([route(a, [port])]), 50);
    const { res, socket } = await upgrade('wsnap.localhost', sleepy.port);
    expect(res.statusCode).toBe(101);
    expect(wakes).toEqual(['wsnap']);
    expect(seen).toEqual(['wsnap']);
    await echoes(socket!);
    table.replace([route('wsnap', [], 'sleeping')]);
    const late = await upgrade('wsnap.localhost', quick.port);
    expect(late.res.statusCode).toBe(503);
    expect(late.res.headers['retry-after']).toBe('5');
    late.res.resume();
  });
});
