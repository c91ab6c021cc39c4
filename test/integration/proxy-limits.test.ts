// The router's size limits on both paths: request line 8 KiB (414), header fields 8 KiB each and 16 KiB in all (431), a per-app body limit (413), before the app reads anything.
import net from 'node:net';
import tls, { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/self-signed.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/core/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { PATHS, startBothRouters, startEchoApp, waitUntil, type EchoApp, type PathName } from '../helpers/echo-app.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

let app: EchoApp;
let routers: Record<PathName, Router>;
const MiB = 1024 * 1024;

beforeAll(async () => {
  app = await startEchoApp();
  const up = [{ host: '127.0.0.1', port: app.port }];
  const table = new RouteTable([
    { app: 'echo', hosts: ['echo.localhost'], upstreams: up, state: 'running' },
    { app: 'small', hosts: ['small.localhost'], upstreams: up, state: 'running', maxBodyBytes: MiB },
    { app: 'fifty', hosts: ['fifty.localhost'], upstreams: up, state: 'running', maxBodyBytes: 50 * MiB },
    { app: 'free', hosts: ['free.localhost'], upstreams: up, state: 'running', maxBodyBytes: 0 },
  ]);
  routers = await startBothRouters({ table, domain: 'localhost' });
});
afterAll(async () => {
  await Promise.all(Object.values(routers ?? {}).map((r) => r.close()));
  await app?.close();
});
beforeEach(() => app.reset());

/**
 * Sends a head, then `bodyBytes` of body (as chunks of 64 KiB when `chunked`) as fast as the router
 * takes them; resolves with what came back once the router closes (or `waitMs` after the last write).
 * Writes after the router closed are expected: that is the refusal.
 */
function upload(port: number, head: string, bodyBytes: number, chunked: boolean, waitMs = 3000): Promise<{ text: string; closed: boolean; sent: number }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let done = false;
    const finish = (closed: boolean) => void (done || ((done = true), clearTimeout(timer), s.destroy(), resolve({ text, closed, sent })));
    let timer = setTimeout(() => finish(false), 60_000);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => finish(true));
    s.on('error', () => {}); // EPIPE/ECONNRESET once the router stopped reading: 'close' follows
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!done && !s.destroyed && sent < bodyBytes) {
        const n = Math.min(piece.length, bodyBytes - sent);
        sent += n;
        const data = chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')]) : piece.subarray(0, n);
        if (!s.write(data)) return void s.once('drain', pump);
      }
      if (sent >= bodyBytes && !s.destroyed) {
        if (chunked) s.write('0\r\n\r\n');
        clearTimeout(timer);
        timer = setTimeout(() => finish(false), waitMs);
      }
    };
    s.write(head);
    pump();
  });
}

describe.each(PATHS)('limits on the %s path', (path) => {
  const port = () => routers[path].port;
  const raw = (data: string) => rawExchange(port(), data, 2000);

  it('a request line over 8 KiB gets a 414 and a closed connection; the app sees nothing', async () => {
    for (const length of [8200, 20_000, 60_000]) {
      const r = await raw(`GET /${'a'.repeat(length)} HTTP/1.1\r\nHost: echo.localhost\r\n\r\n`);
      expect(statuses(r.text), `${length}`).toEqual([414]);
      expect(r.closed).toBe(true);
    }
    expect(app.seen).toEqual([]);
    const ok = await raw(`GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: echo.localhost\r\nConnection: close\r\n\r\n`);
    expect(statuses(ok.text)).toEqual([200]);
  });

  it('one header field over 8 KiB, or all over 16 KiB, gets a 431; the app sees nothing', async () => {
    const heads = [
      `X-Big: ${'b'.repeat(8200)}\r\n`,
      `X-Big: ${'b'.repeat(40_000)}\r\n`,
      `Cookie: ${'c'.repeat(6000)}\r\nX-A: ${'a'.repeat(6000)}\r\nX-B: ${'b'.repeat(6000)}\r\n`,
      Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join(''),
    ];
    for (const h of heads) {
      const r = await raw(`GET / HTTP/1.1\r\nHost: echo.localhost\r\n${h}\r\n`);
      expect(statuses(r.text), h.slice(0, 30)).toEqual([431]);
      expect(r.closed).toBe(true);
    }
    expect(app.seen).toEqual([]);
    const ok = await raw(`GET / HTTP/1.1\r\nHost: echo.localhost\r\nX-A: ${'a'.repeat(7000)}\r\nX-B: ${'b'.repeat(7000)}\r\nConnection: close\r\n\r\n`);
    expect(statuses(ok.text)).toEqual([200]);
  });

  it(`a declared body over the default limit (${DEFAULT_MAX_BODY_BYTES / MiB} MiB), 200 MB, gets a 413 before the app reads a byte`, async () => {
    const r = await upload(port(), `POST /up HTTP/1.1\r\nHost: echo.localhost\r\nContent-Length: 200000000\r\n\r\n`, 4 * MiB, false);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.text).toContain('Request body too large');
    expect(r.closed).toBe(true);
    expect(app.seen).toEqual([]);
  });

  it('an app’s own limit (max-body 1m): 413 above it, with no 100 Continue; passed on below it', async () => {
    const big = await raw(`PUT /up HTTP/1.1\r\nHost: small.localhost\r\nContent-Length: ${2 * MiB}\r\nExpect: 100-continue\r\n\r\n`);
    expect(statuses(big.text)).toEqual([413]);
    expect(big.text).not.toContain('100 Continue');
    expect(big.closed).toBe(true);
    const ok = await upload(port(), `PUT /up HTTP/1.1\r\nHost: small.localhost\r\nContent-Length: ${MiB}\r\nConnection: close\r\n\r\n`, MiB, false);
    expect(statuses(ok.text)).toEqual([200]);
    expect(ok.text).toContain(`ok PUT /up ${MiB}`);
    expect(app.seen.map((s) => [s.url, s.body.length, s.complete])).toEqual([['/up', MiB, true]]);
  });

  it('a chunked body is cut when it passes the limit: 60 MiB against max-body 50m gets a 413, the app never gets a whole request', async () => {
    const r = await upload(port(), `POST /chunks HTTP/1.1\r\nHost: fifty.localhost\r\nTransfer-Encoding: chunked\r\n\r\n`, 60 * MiB, true);
    expect(statuses(r.text)).toEqual([413]);
    expect(r.closed).toBe(true);
    await waitUntil('the app to see its request end or break', () => app.seen.length === 0 || app.seen.every((s) => s.body.length > 0));
    expect(app.seen.filter((s) => s.complete)).toEqual([]);
    expect(Math.max(0, ...app.seen.map((s) => s.body.length))).toBeLessThanOrEqual(50 * MiB);
  });

  it('chunked bodies under the limit pass whole; max-body 0 means no limit', async () => {
    const small = await upload(port(), `POST /c HTTP/1.1\r\nHost: small.localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`, MiB - 10, true);
    expect(statuses(small.text)).toEqual([200]);
    const free = await upload(port(), `POST /f HTTP/1.1\r\nHost: free.localhost\r\nContent-Length: ${3 * MiB}\r\nConnection: close\r\n\r\n`, 3 * MiB, false);
    expect(statuses(free.text)).toEqual([200]);
    expect(app.seen.map((s) => [s.url, s.body.length, s.complete])).toEqual([['/c', MiB - 10, true], ['/f', 3 * MiB, true]]);
  });
});

describe('limits on the HTTPS listener', () => {
  let secure: Router;
  beforeAll(async () => {
    const cert = await new SelfSignedIssuer().issue('echo.localhost');
    const table = new RouteTable([{ app: 'echo', hosts: ['echo.localhost'], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running' }]);
    secure = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', https: { port: 0, fallback: cert, context: () => createSecureContext({ key: cert.keyPem, cert: cert.certPem }) } });
  });
  afterAll(async () => secure?.close());

  /** Raw bytes over TLS; what came back once the router closed. */
  const overTls = (data: string) => new Promise<string>((resolve, reject) => {
    const s = tls.connect({ port: secure.httpsPort!, host: '127.0.0.1', servername: 'echo.localhost', rejectUnauthorized: false }, () => s.write(data));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });

  it('are the plain listener’s: 414 and 431 over them, a full 8 KiB line with 14 KiB of fields passed on', async () => {
    expect(statuses(await overTls(`GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: echo.localhost\r\n\r\n`))).toEqual([414]);
    expect(statuses(await overTls(`GET / HTTP/1.1\r\nHost: echo.localhost\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`))).toEqual([431]);
    const ok = await overTls(`GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: echo.localhost\r\nX-A: ${'a'.repeat(7000)}\r\nX-B: ${'b'.repeat(7000)}\r\nConnection: close\r\n\r\n`);
    expect(statuses(ok)).toEqual([200]);
  });
});
