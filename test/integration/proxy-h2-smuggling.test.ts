// The router against h2 → h1 downgrade smuggling, over hand-written HTTP/2 frames: a request whose HTTP/1.1 form
// could be framed or addressed differently by the app (Content-Length against DATA, connection-specific headers,
// pseudo-header abuse, and fields with CR, LF or NUL, which nghttp2 would drop unseen: proxy/h2/inspect.ts finds them)
// gets a 400 or a stream reset and never reaches the app. Also the h2 limits: concurrent streams, and rapid reset
// (CVE-2023-44487).
import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_STREAMS } from '../../proxy/h2/index.ts';
import { RESET_BURST } from '../../proxy/h2/resets.ts';
import { routerStats } from '../../proxy/edge/dispatch.ts';
import { startRouter, type Router } from '../../proxy/index.ts';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { RawH2, type Field } from '../helpers/h2-raw.ts';

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
async function send(fields: Field[], body?: string) {
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

describe('fields nghttp2 would drop unseen (the router finds them itself)', () => {
  const cases: Record<string, Field[]> = {
    'CRLF in a value': [['x-evil', `a\r\nTransfer-Encoding: chunked`]],
    'a bare LF in a value': [['x-evil', 'a\nb']],
    'a bare CR in a value': [['x-evil', 'a\rb']],
    'NUL in a value': [['x-evil', 'a\0b']],
    'another control character in a value': [['x-evil', 'a\x01b']],
    'CRLF in a name': [['x-evil\r\ntransfer-encoding', 'chunked']],
    'a space in a name': [['x evil', 'a']],
    'leading whitespace in a value': [['x-evil', ' a']],
    'trailing whitespace in a value': [['x-evil', 'a\t']],
    'CRLF in Host': [['host', `${HOST}\r\nX-Injected: 1`]],
    'CRLF in a value, Huffman-coded': [['x-evil', `a\r\nTransfer-Encoding: chunked`, 'huffman']],
    'CRLF in a value of a field with an indexed name (user-agent)': [['user-agent', `a\r\nX-Injected: 1`, 'indexed-name']],
  };
  for (const [name, extra] of Object.entries(cases)) {
    it(`refuses ${name}, and counts it`, async () => {
      const before = routerStats.h2Malformed;
      const r = await send([...base('GET', '/dropped'), ...extra]);
      expect(r.status, JSON.stringify(r)).toBe(400);
      expect(routerStats.h2Malformed).toBe(before + 1);
      await new Promise((res) => setTimeout(res, 100));
      expect(arrived).toBe(0);
    });
  }

  it('passes well-formed fields on, Huffman-coded or not (nothing refused by mistake)', async () => {
    const before = routerStats.h2Malformed;
    const r = await send([...base('GET', '/fine'), ['x-plain', 'a\tb c'], ['x-coded', 'a value, Huffman-coded', 'huffman'], ['user-agent', 'test/1', 'indexed-name']]);
    expect(r.status).toBe(200);
    expect(routerStats.h2Malformed).toBe(before);
    expect(heads[0]).toMatchObject({ 'x-plain': 'a\tb c', 'x-coded': 'a value, Huffman-coded', 'user-agent': 'test/1' });
    // Read through the inspector, the session still knows the connection's addresses and TLS (h2/tap.ts).
    expect(heads[0]).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-port': String(router.httpsPort) });
  });

  it('refuses every later request naming a malformed field kept in the HPACK table', async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      // Literal with incremental indexing: the field becomes dynamic table entry 62, which stream 3 names by index.
      c.headers(1, [...base('GET', '/first'), ['x-evil', 'a\r\nX-Injected: 1', 'indexed']]);
      c.headers(3, [...base('GET', '/second')], true, [62]);
      const [one, three] = [await c.result(1), await c.result(3)];
      expect([one.status, three.status]).toEqual([400, 400]);
    } finally {
      c.close();
    }
    expect(arrived).toBe(0);
  });

  it('resets a request whose trailers hold CRLF; its body never reaches the app whole', async () => {
    const c = await RawH2.open(router.httpsPort!, HOST);
    try {
      c.headers(1, base('POST', '/trailers'), false);
      c.data(1, 'the body', false);
      await new Promise((res) => setTimeout(res, 200));
      c.headers(1, [['x-trailer', 'a\r\nX-Injected: 1']], true);
      const r = await c.result(1);
      expect(r.reset ?? r.status, JSON.stringify(r)).toBeDefined();
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      c.close();
    }
    expect(seen).toEqual([]);
  });
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
