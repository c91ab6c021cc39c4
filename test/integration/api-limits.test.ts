// The API against hostile clients: slow heads and bodies cut, huge and deep JSON refused, __proto__ keys harmless,
// refusals logged at a bounded rate; git pushes and log streams are not cut.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_API_HEADERS_TIMEOUT: '1', MINICLOUD_API_BODY_TIMEOUT: '1', MINICLOUD_API_ANSWER_TIMEOUT: '2' });
  expect((await mc.api('POST', '/api/apps', { name: 'limits' })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** Sends `head` at once, then one byte of `drip` every 100 ms: what comes back, and when the server closed (ms). */
function slowClient(head: string, drip: string, giveUpMs: number): Promise<{ text: string; closedAfterMs: number | null }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const s = connect(mc.apiPort, '127.0.0.1', () => {
      s.write(head);
      let i = 0;
      timer = setInterval(() => { if (!s.destroyed) s.write(drip[i++ % drip.length]!); }, 100);
    });
    const end = (closed: boolean) => { clearInterval(timer); clearTimeout(giveUp); s.destroy(); resolve({ text, closedAfterMs: closed ? Date.now() - started : null }); };
    const giveUp = setTimeout(() => end(false), giveUpMs);
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => end(true));
    s.on('error', () => {});
  });
}

const auth = () => `Authorization: Bearer ${mc.token}\r\n`;

describe('API time limits', () => {
  it('cuts a client that sends its headers one byte at a time (slow-loris)', async () => {
    const r = await slowClient(`GET /api/apps HTTP/1.1\r\nHost: x\r\n${auth()}`, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 8000);
    expect(r.closedAfterMs, 'the connection was closed').not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(4000);
  });

  it('cuts a client that sends its body one byte at a time, with 408', async () => {
    const r = await slowClient(`PATCH /api/apps/limits/config HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"A": "`, 'b', 8000);
    expect(r.closedAfterMs, 'the connection was closed').not.toBeNull();
    expect(r.closedAfterMs!).toBeLessThan(4000);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.text).toContain('the request body did not arrive within 1 s');
  });

  it('keeps a log stream open past the answer deadline', async () => {
    const res = await fetch(`${mc.apiUrl}/api/apps/limits/logs?follow=1&source=app,router`, { headers: { authorization: `Bearer ${mc.token}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const outcome = await Promise.race([
      reader.read().then((c) => (c.done ? 'closed' : 'data')).catch(() => 'closed'),
      new Promise((r) => setTimeout(() => r('open'), 4500)),
    ]);
    expect(outcome).not.toBe('closed');
    await reader.cancel();
  });
});

describe('API bodies', () => {
  const send = (body: string, path = '/api/apps/limits/config', method = 'PATCH') =>
    fetch(`${mc.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${mc.token}`, 'content-type': 'application/json' }, body });

  it('answers 413 to 10 MiB of JSON', async () => {
    const res = await send(JSON.stringify({ A: 'x'.repeat(10 * 1024 * 1024) }));
    expect(res.status).toBe(413);
  });

  it('answers 400 to JSON nested 10,000 deep, and stays up', async () => {
    for (const deep of ['['.repeat(10_000) + ']'.repeat(10_000), `{"A": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`]) {
      const res = await send(deep);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain('nests deeper than 64 levels');
    }
    expect((await mc.api('GET', '/api/apps/limits/config')).status).toBe(200);
  });

  it('keeps __proto__ and constructor keys harmless', async () => {
    const proto = await send('{"__proto__": {"polluted": "yes", "A": "1"}, "B": "2"}');
    expect(proto.status).toBe(200);
    const again = await send('{"__proto__": null, "C": "3"}');
    expect(again.status).toBe(200);
    const ctor = await send('{"constructor": {"prototype": {"polluted": "yes"}}}');
    expect(ctor.status).toBe(400);
    const config = await mc.api<Record<string, string>>('GET', '/api/apps/limits/config');
    expect(config.body).toEqual({ B: '2', C: '3' });
    const apps = await mc.api<Record<string, unknown>[]>('GET', '/api/apps');
    expect(apps.body.every((a) => !('polluted' in a))).toBe(true);
  });

  it('logs a flood of refused bodies at a bounded rate', async () => {
    const before = mc.output().split('API refused').length;
    await Promise.all(Array.from({ length: 300 }, () => send('{not json')));
    expect(mc.output().split('API refused').length - before).toBeLessThanOrEqual(10);
  });
});
