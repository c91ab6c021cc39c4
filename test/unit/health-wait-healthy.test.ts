// health: the deploy gate against real HTTP servers, and the restart backoff.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKOFF, nextDelay, waitHealthy } from '../../src/health/index.ts';
import { freePort } from '../../src/runtime/free-port.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

function serve(port: number, handler: (path: string) => number = () => 200): Promise<Server> {
  const s = createServer((req, res) => res.writeHead(handler(req.url ?? '/')).end('ok'));
  servers.push(s);
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

describe('waitHealthy', () => {
  it('is ok once a server that starts late answers', async () => {
    const port = await freePort();
    setTimeout(() => { void serve(port); }, 400);
    const res = await waitHealthy({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    expect(res).toEqual({ ok: true, status: 200 });
  });

  it('takes any answer as healthy without a path, even a 500', async () => {
    const s = await serve(0, () => 500);
    const res = await waitHealthy({ host: '127.0.0.1', port: (s.address() as AddressInfo).port, timeoutMs: 5000 });
    expect(res).toEqual({ ok: true, status: 500 });
  });

  it('with a path, waits for an answer below 500 and reports the last bad status', async () => {
    let calls = 0;
    const s = await serve(0, (path) => (path === '/health' && ++calls >= 3 ? 204 : 503));
    const port = (s.address() as AddressInfo).port;
    expect(await waitHealthy({ host: '127.0.0.1', port, path: '/health', timeoutMs: 10_000 })).toEqual({ ok: true, status: 204 });
    expect(calls).toBe(3);
    const bad = await waitHealthy({ host: '127.0.0.1', port, path: '/broken', timeoutMs: 1000 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toContain('GET /broken answered 503');
  });

  it('does not follow redirects: a 302 counts as an answer', async () => {
    const s = createServer((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end());
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const res = await waitHealthy({ host: '127.0.0.1', port: (s.address() as AddressInfo).port, path: '/', timeoutMs: 5000 });
    expect(res).toEqual({ ok: true, status: 302 });
  });

  it('fails with a reason naming the timeout and the last error when nothing listens', async () => {
    const port = await freePort();
    const res = await waitHealthy({ host: '127.0.0.1', port, timeoutMs: 1000 });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.reason).toContain('within 1 s');
    expect(res.reason).toContain('$PORT');
    expect(res.reason).toContain('ECONNREFUSED');
  });

  it('gives up at once when gone() turns true, saying the process exited', async () => {
    const port = await freePort();
    let gone = false;
    let polls = 0;
    setTimeout(() => { gone = true; }, 300);
    const res = await waitHealthy({ host: '127.0.0.1', port, timeoutMs: 60_000, gone: () => { polls++; return gone; } });
    expect(res).toEqual({ ok: false, reason: 'the process exited before it answered on $PORT' });
    expect(polls).toBeGreaterThan(1);
  });

  it('checks gone() before the first probe', async () => {
    const s = await serve(0);
    const res = await waitHealthy({ host: '127.0.0.1', port: (s.address() as AddressInfo).port, timeoutMs: 5000, gone: () => true });
    expect(res.ok).toBe(false);
  });
});

describe('nextDelay', () => {
  it('doubles from 1 s: 1, 2, 4, 8 … and counts the restarts', () => {
    const delays: number[] = [];
    let restarts = 0;
    for (let i = 0; i < 6; i++) {
      const next = nextDelay(restarts, 1000);
      delays.push(next.delayMs);
      expect(next.restarts).toBe(restarts + 1);
      restarts = next.restarts;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it('is capped at 5 minutes', () => {
    expect(nextDelay(8, 0).delayMs).toBe(256_000);
    expect(nextDelay(9, 0).delayMs).toBe(300_000);
    expect(nextDelay(20, 0).delayMs).toBe(300_000);
    expect(nextDelay(2000, 0).delayMs).toBe(300_000);
    expect(BACKOFF.maxMs).toBe(300_000);
  });

  it('starts over after 10 minutes up', () => {
    expect(nextDelay(7, 10 * 60_000)).toEqual({ delayMs: 1000, restarts: 1 });
    expect(nextDelay(7, 60 * 60_000)).toEqual({ delayMs: 1000, restarts: 1 });
    expect(nextDelay(7, 10 * 60_000 - 1)).toEqual({ delayMs: 128_000, restarts: 8 });
  });
});
