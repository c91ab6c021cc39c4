// The API's limits as middleware: an answer deadline for every route but streams, and the JSON depth check.
import { createServer, type Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJsonDepth, deadlines, jsonBody, keepOpen } from '../../src/api/limits.ts';

let server: Server;
let url: string;

beforeAll(async () => {
  const app = express();
  app.use(deadlines({ headersMs: 1000, bodyMs: 1000, answerMs: 300 }));
  app.get('/never', () => { /* a handler that never answers */ });
  app.get('/stream', (_req, res) => { keepOpen(res); res.write('first\n'); setTimeout(() => res.end('last\n'), 800); });
  app.post('/json', jsonBody(), (req, res) => { res.json({ proto: Object.getPrototypeOf(req.body) === Object.prototype, keys: Object.keys(req.body as object) }); });
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

describe('deadlines', () => {
  it('answers 503 when a route does not answer in time', async () => {
    const res = await fetch(`${url}/never`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('no answer within 0.3 s');
  });

  it('leaves a stream open past the deadline', async () => {
    const res = await fetch(`${url}/stream`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('first\nlast\n');
  });
});

describe('jsonBody', () => {
  it('drops __proto__ keys, so the body keeps its prototype', async () => {
    const res = await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__": {"polluted": 1}, "a": 1}' });
    expect(await res.json()).toEqual({ proto: true, keys: ['a'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('measures depth in linear time, ignoring brackets inside strings', () => {
    expect(() => checkJsonDepth(Buffer.from(`{"a": "${'['.repeat(1000)}\\"${'{'.repeat(1000)}"}`))).not.toThrow();
    expect(() => checkJsonDepth(Buffer.from('['.repeat(65)))).toThrow('nests deeper than 64 levels');
    const started = performance.now();
    expect(() => checkJsonDepth(Buffer.from(`[${'"x",'.repeat(200_000)}1]`))).not.toThrow();
    expect(performance.now() - started).toBeLessThan(500);
  });
});
