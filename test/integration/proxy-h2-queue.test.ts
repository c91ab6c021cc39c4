// Many HTTP/2 streams to one slow app: the pooled engine's wait for a connection is bounded as the fast path's is (a
// count and a time, then the "App is busy" 503), where undici's pool alone would queue them without end; the refused
// and the timed-out requests never reach the app, and streams a client cancels while they wait free their places.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { routerStats } from '../../proxy/edge/dispatch.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import type { IssuedCert } from '../../src/certs/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { h2Connect, h2Request, type H2Reply } from '../helpers/h2.ts';
import { until } from '../helpers/net.ts';

const HOST = 'h2queue.localhost';
const table = new RouteTable();
let app: http.Server;
let cert: IssuedCert;
/** Paths the app saw; `/hold` requests wait here until the test lets them go. */
const seen: string[] = [];
const held: http.ServerResponse[] = [];
const routers: Router[] = [];

beforeAll(async () => {
  cert = await new SelfSignedIssuer().issue(HOST);
  app = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url?.startsWith('/hold')) return void held.push(res);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  table.replace([{ app: 'h2queue', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: (app.address() as AddressInfo).port }], state: 'running' }]);
});
afterEach(async () => {
  for (const res of held.splice(0)) res.end('late');
  await Promise.all(routers.splice(0).map((r) => r.close()));
  seen.length = 0;
});
afterAll(async () => {
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

/** The router in this process (its counters readable), HTTPS only, 2 connections per instance and the queue given. */
async function router(queue: { max: number; ms: number }): Promise<Router> {
  const ctx = createSecureContext({ key: cert.keyPem, cert: cert.certPem });
  const r = await startRouter({
    port: 0, host: '127.0.0.1', table, domain: 'localhost', upstreamConnections: 2, upstreamQueue: queue,
    https: { port: 0, fallback: cert, context: () => ctx }, httpsPort: 0,
  });
  routers.push(r);
  return r;
}

const release = () => { for (const res of held.splice(0)) res.writeHead(200).end('released'); };

it('answers 503 "App is busy" past the most waiting streams at once, and past the longest wait; none of them reaches the app', async () => {
  const r = await router({ max: 5, ms: 1500 });
  const s = await h2Connect(r.httpsPort!, HOST);
  const before = routerStats.queueRefused;
  // Both connections to the app busy...
  const busy = [h2Request(s, HOST, '/hold/1'), h2Request(s, HOST, '/hold/2')];
  await until('the app holding two requests', async () => held.length === 2 || undefined);
  // ...five streams wait for one, and the sixth is refused at once.
  const waiting = Array.from({ length: 5 }, (_, i) => h2Request(s, HOST, `/hold/waiting-${i}`));
  await until('five streams waiting', async () => waitingAre(5));
  const refused = await h2Request(s, HOST, '/hold/one-too-many');
  expect(refused.status).toBe(503);
  expect(refused.body).toContain('App is busy');
  // Refused for the count, at once: not after a wait (that page says how long it waited).
  expect(refused.body).toContain('too many requests waiting');
  expect(refused.headers['retry-after']).toBe('2');
  // The five waited their most (1.5 s, swept every 150 ms): 503 too, and none reached the app.
  const waited = await Promise.all(waiting);
  for (const w of waited) {
    expect(w.status).toBe(503);
    expect(Number(/was busy with other requests for ([\d.]+) s/.exec(w.body)?.[1])).toBeGreaterThanOrEqual(1.5);
  }
  expect(seen).toEqual(['/hold/1', '/hold/2']);
  expect(routerStats.queueRefused - before).toBe(6);
  // The held two finish, and the queue is empty again: the next request goes straight through.
  release();
  expect((await Promise.all(busy)).map((b) => b.status)).toEqual([200, 200]);
  expect((await h2Request(s, HOST, '/after')).status).toBe(200);
  s.close();
});

it('frees the place of a stream its client cancels while it waits, and never passes it on', async () => {
  const r = await router({ max: 5, ms: 120_000 });
  const s = await h2Connect(r.httpsPort!, HOST);
  const busy = [h2Request(s, HOST, '/hold/a'), h2Request(s, HOST, '/hold/b')];
  await until('the app holding two requests', async () => held.length === 2 || undefined);
  // Five wait, then their client gives up on them (RST_STREAM CANCEL).
  const cancelled = Array.from({ length: 5 }, (_, i) => s.request({ ':method': 'GET', ':path': `/cancelled-${i}`, ':authority': HOST }));
  for (const c of cancelled) c.on('error', () => {});
  await until('the five streams waiting in the router', async () => waitingAre(5));
  for (const c of cancelled) c.close(http2.constants.NGHTTP2_CANCEL);
  await until('the cancelled streams gone from the queue', async () => waitingAre(0));
  // Their places are free again: five more wait (none refused), and reach the app once the held two finish.
  const before = routerStats.queueRefused;
  const next = Array.from({ length: 5 }, (_, i) => h2Request(s, HOST, `/next-${i}`));
  await until('the next five waiting', async () => waitingAre(5));
  release();
  const answers: H2Reply[] = await Promise.all([...busy, ...next]);
  expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
  expect(routerStats.queueRefused - before).toBe(0);
  expect(seen.filter((p) => p.startsWith('/cancelled'))).toEqual([]);
  s.close();
});

/** Whether exactly `n` pooled requests wait for a connection (this process's router counters). */
async function waitingAre(n: number): Promise<true | undefined> {
  return routerStats.pooledWaiting === n || undefined;
}
