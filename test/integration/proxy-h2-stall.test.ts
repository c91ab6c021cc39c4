// HTTP/2 clients that stop reading: a session owed answers that its client no longer takes (no WINDOW_UPDATE, after
// its own GOAWAY or not) is ended once quiet for the idle time (else it, and its streams' upstream requests, live on); a long
// poll, owed nothing while its app thinks, keeps its session. (h2IdleMs shortened from 60 s to 1.5 s here.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { RawH2, type Field } from '../helpers/h2-raw.ts';

const HOST = 'big.localhost';
const MiB = Buffer.alloc(1 << 20, 'x');
let upstream: http.Server;
let router: Router;
const get = (path: string): Field[] => [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST], [':path', path]];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('thought about it'), 4000);
    else res.end(MiB);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const table = new RouteTable();
  table.replace([{ app: 'big', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }], state: 'running' }]);
  const cert = await new SelfSignedIssuer().issue(HOST);
  router = await startRouter({
    port: 0, host: '127.0.0.1', table, domain: 'localhost', h2IdleMs: 1500,
    https: { port: 0, fallback: cert, context: () => { throw new Error('fallback'); } },
  });
});
afterAll(async () => {
  await router.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

for (const goaway of [true, false]) {
  it(`ends a session whose client stopped reading 1 MiB answers${goaway ? ' after its GOAWAY' : ''}`, async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      for (const id of [1, 3, 5]) c.headers(id, get(`/${id}`));
      // The first window's worth arrives (64 KiB in all: the client never sends a WINDOW_UPDATE), then nothing.
      expect(await c.until(() => [...c.streams.values()].some((s) => s.body.length > 0), 10_000)).toBe(true);
      if (goaway) c.goAway(5);
      // Quiet for 1.5 s, owed answers: ended (generous margin for a loaded machine).
      expect(await c.until(() => c.closed, 20_000)).toBe(true);
      expect([...c.streams.values()].every((s) => s.body.length < MiB.length)).toBe(true);
    } finally {
      c.close();
    }
  });
}

it('keeps a session whose stream waits for its app longer than the idle time (a long poll is owed nothing)', async () => {
  const c = await RawH2.open(router.httpsPort!, HOST);
  try {
    c.headers(1, get('/slow'));
    const r = await c.result(1, 20_000);
    expect(r.status).toBe(200);
    expect(r.body).toBe('thought about it');
    expect(r.closed).toBe(false);
  } finally {
    c.close();
  }
});
