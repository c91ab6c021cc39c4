// The edge router against request smuggling, over raw sockets: ambiguous framing or Host gets a 400 and a closed connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

let router: Router;
let upstream: http.Server;
const table = new RouteTable();
/** `METHOD url body` of every request the app got. */
const seen: string[] = [];

/** Writes raw bytes to the router; resolves with all it answered once it closes the connection (or after `waitMs`). */
const raw = (data: string, waitMs = 1000) => rawExchange(router.port, data, waitMs);
const H = 'Host: ok.localhost\r\n';

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`.trim());
      res.end(`ok ${req.headers['transfer-encoding'] ?? req.headers['content-length'] ?? '-'}`);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  table.replace([{ app: 'ok', hosts: ['ok.localhost'], upstreams: [{ host: '127.0.0.1', port }], state: 'running' }]);
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost' });
});
afterAll(async () => {
  await router.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});
beforeEach(() => void (seen.length = 0));

describe('ambiguous framing', () => {
  const cases: Record<string, string> = {
    // refused by Node's own parser
    'Content-Length then Transfer-Encoding (CL.TE)': `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
    'Transfer-Encoding then Content-Length (TE.CL)': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`,
    'two different Content-Lengths': `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 11\r\n\r\nabcdefghijk`,
    'a Content-Length list': `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`,
    'obs-fold': `GET / HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n`,
    'obs-fold in Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
    'a space before the colon': `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    'a coding after chunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
    'a bare LF': `GET / HTTP/1.1\n${H}\n`,
    // refused by the router: Node passes these on
    'a coding before chunked': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    'codings over two header lines': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'an empty Transfer-Encoding': `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n0\r\n\r\n`,
    'Transfer-Encoding in HTTP/1.0': `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  };
  for (const [name, request] of Object.entries(cases)) {
    it(`refuses ${name} with a 400 and closes, the app seeing nothing`, async () => {
      const r = await raw(request);
      expect(statuses(r.text)).toEqual([400]);
      expect(r.closed).toBe(true);
      expect(seen).toEqual([]);
    });
  }

  it('never passes on a request pipelined behind a refused one', async () => {
    expect(statuses((await raw(`GET /warm HTTP/1.1\r\n${H}Connection: close\r\n\r\n`)).text)).toEqual([200]); // a pooled connection upstream
    seen.length = 0;
    const smuggled = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;
    const r = await raw(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${smuggled}`);
    expect(statuses(r.text)).toEqual([400]);
    expect(r.closed).toBe(true);
    await new Promise((res) => setTimeout(res, 50));
    expect(seen).toEqual([]);
  });
});

describe('Host', () => {
  const cases: Record<string, string> = {
    'no Host (HTTP/1.1)': 'GET / HTTP/1.1\r\n\r\n',
    'no Host (HTTP/1.0)': 'GET / HTTP/1.0\r\n\r\n',
    'two Host headers': `GET / HTTP/1.1\r\n${H}Host: evil.localhost\r\n\r\n`,
    'an empty Host': 'GET / HTTP/1.1\r\nHost:\r\n\r\n',
    'a Host with a path': 'GET / HTTP/1.1\r\nHost: ok.localhost/admin\r\n\r\n',
    'a Host with user info': 'GET / HTTP/1.1\r\nHost: evil@ok.localhost\r\n\r\n',
    'a request target naming another host': `GET http://evil.localhost/ HTTP/1.1\r\n${H}\r\n`,
    'a websocket upgrade with two Host headers': `GET / HTTP/1.1\r\n${H}Host: evil.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
  };
  for (const [name, request] of Object.entries(cases)) {
    it(`refuses ${name} with a 400 and closes`, async () => {
      const r = await raw(request);
      expect(statuses(r.text)).toEqual([400]);
      expect(r.closed).toBe(true);
      expect(seen).toEqual([]);
    });
  }

  it('serves an absolute-form target that agrees with Host, as origin-form', async () => {
    const r = await raw(`GET http://ok.localhost/x?y HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(statuses(r.text)).toEqual([200]);
    expect(seen).toEqual(['GET /x?y']);
  });
});

describe('framing the app sees', () => {
  it('passes chunked bodies on chunked, for any method, so none can hide a second request', async () => {
    const hidden = `GET /evil HTTP/1.1\r\n${H}\r\n`;
    const chunk = `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`;
    for (const method of ['POST', 'GET', 'DELETE', 'OPTIONS']) {
      const r = await raw(`${method} /${method} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}`);
      expect(statuses(r.text), method).toEqual([200]);
      expect(r.text).toContain('ok chunked');
    }
    await new Promise((res) => setTimeout(res, 50));
    expect(seen).toEqual(['POST', 'GET', 'DELETE', 'OPTIONS'].map((m) => `${m} /${m} ${hidden}`.trim()));
  });

  it('keeps two pipelined well-framed requests apart', async () => {
    const r = await raw(`POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(seen).toEqual(['POST /a abc', 'GET /b']);
  });
});

describe('clientError', () => {
  it('answers what Node cannot parse with a plain 400 Bad Request, and keeps serving', async () => {
    for (const garbage of ['\x00\x01\x02 nonsense\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`]) {
      const r = await raw(garbage);
      expect(r.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n/);
      expect(r.closed).toBe(true);
    }
    const big = await raw(`GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
    const r = await raw(`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(statuses(r.text)).toEqual([200]);
  });
});
