// The router against h2 → h1 downgrade smuggling, over hand-written HTTP/2 frames: a request whose HTTP/1.1 form
// could be framed or addressed differently by the app (Content-Length against DATA, connection-specific headers,
// pseudo-header abuse) gets a 400 or a stream reset and never reaches the app. A field with CR, LF or NUL (or a bad
// name, or surrounding whitespace) is dropped by nghttp2 before Node sees it, so the request goes on without it: those
// cases prove the bytes never reach the app. Also the h2 limits: concurrent streams, and rapid reset (CVE-2023-44487).
import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_STREAMS } from '../../proxy/h2/index.ts';
import { RESET_BURST } from '../../proxy/h2/resets.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { RawH2 } from '../helpers/h2-raw.ts';

let router: Router;
let upstream: http.Server;
const table = new RouteTable();
/** `METHOD url body` of every request the app got whole, and the count of those it got at all. */
const seen: string[] = [];
/** The headers of every request that reached the app, whole or not. */
const heads: IncomingHttpHeaders[] = [];
let arrived = 0;
const HOST = 'ok.localhost';
const base = (method = 'POST', path = '/'): Array<[string, string]> => [[':method', method], [':scheme', 'https'], [':authority', HOST], [':path', path]];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    arrived++;
    heads.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`.trim());
      res.end('ok');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  table.replace([{ app: 'ok', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }], state: 'running' }]);
  const cert = await new SelfSignedIssuer().issue(HOST);
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', https: { port: 0, fallback: cert, context: () => { throw new Error('fallback'); } } });
});
afterAll(async () => {
  await router.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});
beforeEach(() => void ((seen.length = 0), (heads.length = 0), (arrived = 0)));

/** Sends one request on a fresh connection; its result once the stream (or connection) ended. */
async function send(fields: Array<[string, string]>, body?: string) {
  const c = await RawH2.open(router.httpsPort!, HOST);
  try {
    c.headers(1, fields, body === undefined);
    if (body !== undefined) c.data(1, body);
    return await c.result(1);
  } finally {
    c.close();
  }
}

/** Refused: a 4xx answer, a stream reset or the connection ended with a GOAWAY, and the app saw nothing of it. */
async function expectRefused(r: Awaited<ReturnType<typeof send>>) {
  const refused = (r.status !== undefined && r.status >= 400 && r.status < 500) || r.reset !== undefined || r.goaway !== null;
  expect(refused, JSON.stringify(r)).toBe(true);
  await new Promise((res) => setTimeout(res, 100));
  expect(seen).toEqual([]);
}

it('passes a well-formed request on (the frames are right)', async () => {
  const r = await send([...base(), ['content-length', '5']], 'hello');
  expect(r.status).toBe(200);
  expect(seen).toEqual(['POST / hello']);
});

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: ok.localhost\r\n\r\n';
describe('body framing', () => {
  it('refuses DATA longer than Content-Length (the rest would be a second request upstream)', async () => {
    await expectRefused(await send([...base(), ['content-length', '5']], `hello${SMUGGLED}`));
  });
  it('refuses DATA shorter than Content-Length', async () => {
    await expectRefused(await send([...base(), ['content-length', '100']], 'abc'));
  });
  it('never passes on whole a body the client cut short with a reset', async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      c.headers(1, base('POST', '/cut'), false);
      c.data(1, 'the first half', false);
      await new Promise((res) => setTimeout(res, 200)); // the app has the request's head and first half by now
      c.reset(1);
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      c.close();
    }
    expect(seen).toEqual([]);
  });
  it('refuses two Content-Lengths', async () => {
    await expectRefused(await send([...base(), ['content-length', '5'], ['content-length', '6']], 'hello'));
  });
  it('refuses Transfer-Encoding: chunked over DATA', async () => {
    await expectRefused(await send([...base(), ['transfer-encoding', 'chunked']], `0\r\n\r\n${SMUGGLED}`));
  });
});

describe('connection-specific and malformed fields', () => {
  const cases: Record<string, Array<[string, string]>> = {
    'Connection': [['connection', 'keep-alive']],
    'Keep-Alive': [['keep-alive', 'timeout=5']],
    'Proxy-Connection': [['proxy-connection', 'keep-alive']],
    'Upgrade': [['upgrade', 'websocket']],
    'TE other than trailers': [['te', 'gzip']],
    'an uppercase name': [['X-Upper', 'a']],
    'a Host disagreeing with :authority': [['host', 'evil.localhost']],
  };
  for (const [name, extra] of Object.entries(cases)) {
    it(`refuses ${name}`, async () => {
      await expectRefused(await send([...base('GET'), ...extra]));
    });
  }
});

describe('fields nghttp2 drops (Node gives no way to refuse them)', () => {
  const cases: Record<string, Array<[string, string]>> = {
    'CRLF in a value': [['x-evil', `a\r\nTransfer-Encoding: chunked`]],
    'a bare LF in a value': [['x-evil', 'a\nb']],
    'NUL in a value': [['x-evil', 'a\0b']],
    'CRLF in a name': [['x-evil\r\ntransfer-encoding', 'chunked']],
    'a space in a name': [['x evil', 'a']],
    'leading whitespace in a value': [['x-evil', ' a']],
    'CRLF in Host': [['host', `${HOST}\r\nX-Injected: 1`]],
  };
  for (const [name, extra] of Object.entries(cases)) {
    it(`never passes ${name} on`, async () => {
      const r = await send([...base('GET', '/dropped'), ...extra]);
      expect(r.status === undefined || r.status < 500, JSON.stringify(r)).toBe(true);
      await new Promise((res) => setTimeout(res, 100));
      expect(seen.filter((l) => !l.startsWith('GET /dropped'))).toEqual([]);
      for (const h of heads) {
        expect(Object.keys(h).filter((k) => k.includes('evil') || k === 'x-injected' || k === 'transfer-encoding')).toEqual([]);
        for (const v of Object.values(h)) expect(String(v)).not.toMatch(/[\r\n\0]/);
      }
    });
  }
});

describe('pseudo-headers', () => {
  const cases: Record<string, Array<[string, string]>> = {
    'an unknown pseudo-header': [...base('GET'), [':foo', 'bar']],
    ':status in a request': [...base('GET'), [':status', '200']],
    'a repeated :path': [...base('GET'), [':path', '/other']],
    'a pseudo-header after a regular field': [[':method', 'GET'], [':scheme', 'https'], ['x-a', 'b'], [':authority', HOST], [':path', '/']],
    'no :path': [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST]],
    'no :method': [[':scheme', 'https'], [':authority', HOST], [':path', '/']],
    'an absolute-form :path': [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST], [':path', 'http://evil.localhost/']],
    'an empty :path': [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST], [':path', '']],
    'a * :path with GET': [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST], [':path', '*']],
    'CONNECT': [[':method', 'CONNECT'], [':authority', 'internal.example:22']],
    'no :authority or Host': [[':method', 'GET'], [':scheme', 'https'], [':path', '/']],
    'CRLF in :path': [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST], [':path', `/ HTTP/1.1\r\nHost: evil\r\n\r\nGET /x`]],
    'a space in :method': [[':method', 'GET /x HTTP/1.1'], [':scheme', 'https'], [':authority', HOST], [':path', '/']],
  };
  for (const [name, fields] of Object.entries(cases)) {
    it(`refuses ${name}`, async () => {
      await expectRefused(await send(fields));
    });
  }
});

describe('h2 limits', () => {
  it(`refuses streams past the session's concurrent-stream limit`, async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      await c.until(() => c.settled, 10_000);
      // Bodies never finished: every stream stays open.
      const ids = Array.from({ length: 140 }, (_, i) => 2 * i + 1);
      for (const id of ids) c.headers(id, [...base('POST', `/open-${id}`)], false);
      // nghttp2 treats a stream past the acknowledged limit as a connection error: the session ends.
      expect(await c.until(() => c.closed || c.goaway !== null, 10_000)).toBe(true);
    } finally {
      c.close();
    }
    await new Promise((res) => setTimeout(res, 200));
    expect(arrived).toBeLessThanOrEqual(MAX_CONCURRENT_STREAMS);
  });

  it('ends a session that opens and resets streams rapidly (CVE-2023-44487) with ENHANCE_YOUR_CALM', async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      await c.until(() => c.settled, 10_000);
      for (let i = 0; i < 2000 && !c.closed && c.goaway === null; i++) {
        const id = 2 * i + 1;
        c.headers(id, base('GET', `/reset-${id}`));
        c.reset(id);
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      await c.until(() => c.goaway !== null || c.closed, 10_000);
      expect(c.goaway).toBe(11);
    } finally {
      c.close();
    }
    // Each abandoned stream may have cost one upstream request, up to the budget: not the thousands sent.
    expect(arrived).toBeLessThan(RESET_BURST * 2);
  });
});
