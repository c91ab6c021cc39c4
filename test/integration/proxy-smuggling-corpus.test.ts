// A request-smuggling corpus through both router paths: every payload refused (and the connection closed) or passed on as exactly the requests it frames, and both paths agree.
// biome-ignore-all lint/style/noExcessiveLinesPerFile: a table of payloads (data), not code
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Router } from '../../proxy/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { PATHS, startBothRouters, startEchoApp, type EchoApp, type PathName } from '../helpers/echo-app.ts';
import { rawExchange, statuses } from '../helpers/net.ts';

const H = 'Host: echo.localhost\r\n';
const C = 'Connection: close\r\n';
// 2,000 tiny fields (Node keeps only the first 2,000 in req.headers by default), within the 16 KiB limit.
const MANY = 'a:\r\n'.repeat(2000);
const HIDDEN = `GET /evil HTTP/1.1\r\n${H}\r\n`;
const UP = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/**
 * `refused`: a 400/404/413/414/417/431/502, the connection closed, no whole request at the app. Else the
 * requests (`METHOD url body`) the app must get, exactly, each answered; `{ then: 'refused' }` after
 * them: bad bytes pipelined behind them, refused once they are answered.
 */
type Expect = 'refused' | string[] | { requests: string[]; then: 'refused' };

const REQUESTS: Record<string, [string, Expect]> = {
  // CL.TE and TE.CL
  'CL.TE': [`POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, 'refused'],
  'TE.CL': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`, 'refused'],
  'CL.TE with the TE name underscored': [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer_Encoding: chunked\r\n${C}\r\nhello`, ['POST / hello']],
  // TE.TE
  'TE: chunked, chunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'TE: " chunked"': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding:  chunked\r\n${C}\r\n3\r\nabc\r\n0\r\n\r\n`, ['POST / abc']],
  'TE: "\\tchunked"': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding:\tchunked\r\n${C}\r\n3\r\nabc\r\n0\r\n\r\n`, ['POST / abc']],
  'TE: Chunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n${C}\r\n3\r\nabc\r\n0\r\n\r\n`, ['POST / abc']],
  'TE: xchunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'TE: chunkedx': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunkedx\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'TE: identity': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'TE: gzip, chunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 'refused'],
  'two TE lines, both chunked': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'refused'],
  'two TE lines, chunked then identity': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`, 'refused'],
  'TE with a space before the colon': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 'refused'],
  'TE in obs-fold': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, 'refused'],
  'TE on HTTP/1.0': [`POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  // Content-Length
  'two equal Content-Lengths': [`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, 'refused'],
  'two different Content-Lengths': [`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 11\r\n\r\nabcdefghijk`, 'refused'],
  'a Content-Length list': [`POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`, 'refused'],
  'Content-Length: +5': [`POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, 'refused'],
  'Content-Length: -1': [`POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\nhello`, 'refused'],
  'Content-Length: 0x10': [`POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n0123456789abcdef`, 'refused'],
  'Content-Length: 5a': [`POST / HTTP/1.1\r\n${H}Content-Length: 5a\r\n\r\nhello`, 'refused'],
  'Content-Length: 1 0': [`POST / HTTP/1.1\r\n${H}Content-Length: 1 0\r\n\r\nhelloworld`, 'refused'],
  'an empty Content-Length': [`POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\nhello`, 'refused'],
  'Content-Length: 05': [`POST / HTTP/1.1\r\n${H}Content-Length: 05\r\n${C}\r\nhello`, ['POST / hello']],
  'a Content-Length past 2^53': [`POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\nhello`, 'refused'],
  'a Content-Length of 15 digits': [`POST / HTTP/1.1\r\n${H}Content-Length: 999999999999999\r\n\r\nhello`, 'refused'],
  'a GET with a body': [`GET / HTTP/1.1\r\n${H}Content-Length: 5\r\n${C}\r\nhello`, ['GET / hello']],
  // line endings and bytes
  'obs-fold': [`GET / HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n`, 'refused'],
  'bare LF line ends': [`GET / HTTP/1.1\n${H.replace('\r', '')}\n`, 'refused'],
  'a bare LF in a header': [`GET / HTTP/1.1\r\n${H}X-A: a\nTransfer-Encoding: chunked\r\n\r\n`, 'refused'],
  'a bare CR in a header': [`GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 'refused'],
  'a bare CR ending the request line': [`GET / HTTP/1.1\r${H}\r\n`, 'refused'],
  'a NUL in a header': [`GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 'refused'],
  'a NUL in the target': [`GET /a\x00b HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'a NUL in a header name': [`GET / HTTP/1.1\r\n${H}X-\x00A: b\r\n\r\n`, 'refused'],
  'a space in a header name': [`GET / HTTP/1.1\r\n${H}X A: b\r\n\r\n`, 'refused'],
  'an empty header name': [`GET / HTTP/1.1\r\n${H}: b\r\n\r\n`, 'refused'],
  'a header line without a colon': [`GET / HTTP/1.1\r\n${H}Transfer-Encoding chunked\r\n\r\n`, 'refused'],
  'a header line starting with whitespace first': [`GET / HTTP/1.1\r\n Host: evil.localhost\r\n${H}\r\n`, 'refused'],
  'two spaces after the method': [`GET  / HTTP/1.1\r\n${H}${C}\r\n`, ['GET /']],
  'a tab for a space in the request line': [`GET\t/ HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'HTTP/0.9': ['GET /\r\n\r\n', 'refused'],
  'HTTP/1.2': [`GET / HTTP/1.2\r\n${H}\r\n`, 'refused'],
  'a lowercase version': [`GET / http/1.1\r\n${H}\r\n`, 'refused'],
  'binary garbage': ['\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n', 'refused'],
  // chunk framing
  'a chunk size that is not hex': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'a negative chunk size': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'a chunk size with 0x': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'a chunk size of 2^64+3': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'a chunk shorter than its size': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nabc\r\n0\r\n\r\n`, 'refused'],
  'a chunk longer than its size': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n`, 'refused'],
  'a chunk size with a bare LF': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`, 'refused'],
  'a broken chunked body to a host no app has (404, then only the close)': [`POST / HTTP/1.1\r\nHost: nobody.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nhello\r\n0\r\n\r\n`, 'refused'],
  'a broken chunked body after a request': [`GET /1 HTTP/1.1\r\n${H}\r\nPOST /2 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nhello\r\n0\r\n\r\n`, { requests: ['GET /1'], then: 'refused' }],
  'a chunk extension': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n${C}\r\n3;name=value\r\nabc\r\n0\r\n\r\n`, ['POST / abc']],
  'a trailer field': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n${C}\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n`, ['POST / abc']],
  'a request hidden in a chunk': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n${C}\r\n${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`, [`POST / ${HIDDEN}`]],
  // Expect
  'Expect: 100-continue with the body sent at once': [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nExpect: 100-continue\r\n${C}\r\nhello`, ['POST / hello']],
  'Expect: 100-continue, chunked, with the body at once': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n${C}\r\n5\r\nhello\r\n0\r\n\r\n`, ['POST / hello']],
  'Expect: something else': [`POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nExpect: 200-ok\r\n${C}\r\nhello`, 'refused'],
  // Host and target
  'two Hosts': [`GET / HTTP/1.1\r\n${H}Host: evil.localhost\r\n\r\n`, 'refused'],
  'two Hosts, the same': [`GET / HTTP/1.1\r\n${H}${H}\r\n`, 'refused'],
  'no Host': ['GET / HTTP/1.1\r\n\r\n', 'refused'],
  'no Host, with Expect, then bytes after the body': ['PUT /up HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello\r\nhello', 'refused'],
  'a Host list': ['GET / HTTP/1.1\r\nHost: echo.localhost, evil.localhost\r\n\r\n', 'refused'],
  'a Host with a path': ['GET / HTTP/1.1\r\nHost: echo.localhost/x\r\n\r\n', 'refused'],
  'a second Host after 2,000 header fields': [`GET / HTTP/1.1\r\n${H}${MANY}Host: evil.localhost\r\n\r\n`, 'refused'],
  'a second Content-Length after 2,000 header fields': [`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\n${MANY}Content-Length: 11\r\n\r\nabcdefghijk`, 'refused'],
  'Transfer-Encoding: gzip, chunked after 2,000 header fields': [`POST / HTTP/1.1\r\n${H}${MANY}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 'refused'],
  'absolute form naming another host': [`GET http://evil.localhost/ HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'absolute form with user info': [`GET http://evil.localhost@echo.localhost/ HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'absolute form agreeing with Host': [`GET http://echo.localhost/x?y HTTP/1.1\r\n${H}${C}\r\n`, ['GET /x?y']],
  // pipelining and upgrades
  'a request pipelined behind a refused one': [`POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'a request, then garbage': [`POST /up HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello\r\nhello`, { requests: ['POST /up hello'], then: 'refused' }],
  'two requests, then a bad one': [`GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nGET /3 HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\nx`, { requests: ['GET /1', 'GET /2'], then: 'refused' }],
  'a request, then one with two Hosts': [`GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}${H}\r\n`, { requests: ['GET /1'], then: 'refused' }],
  'two well-framed pipelined requests': [`POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n${H}${C}\r\n`, ['POST /a abc', 'GET /b']],
  'an optimistic upgrade with a pipelined request, the app declining': [`GET /ws HTTP/1.1\r\n${H}${UP}\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, ['GET /ws']],
  'an upgrade with a body': [`POST /ws HTTP/1.1\r\n${H}${UP}Content-Length: 5\r\n\r\nhello`, 'refused'],
  'h2c upgrade': [`GET / HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`, 'refused'],
  'an HTTP/2 preface': ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'refused'],
  'CONNECT': [`CONNECT echo.localhost:80 HTTP/1.1\r\n${H}\r\n`, 'refused'],
  'a * target with GET': [`GET * HTTP/1.1\r\n${H}\r\n`, 'refused'],
};

/** What happened to one payload on one path. */
interface Outcome {
  statuses: number[];
  closed: boolean;
  /** Whole requests the app got: `METHOD url body`. */
  requests: string[];
  appParseErrors: string[];
}

let apps: Record<PathName, EchoApp>;
let routers: Record<PathName, Router>;

beforeAll(async () => {
  const [fastApp, slowApp] = await Promise.all([startEchoApp(), startEchoApp()]);
  apps = { fast: fastApp, slow: slowApp };
  const tables = Object.fromEntries(PATHS.map((p) => [p, new RouteTable([{ app: 'echo', hosts: ['echo.localhost'], upstreams: [{ host: '127.0.0.1', port: apps[p].port }], state: 'running' }])]));
  const [a, b] = await Promise.all([startBothRouters({ table: tables.fast!, domain: 'localhost' }), startBothRouters({ table: tables.slow!, domain: 'localhost' })]);
  routers = { fast: a.fast, slow: b.slow };
  void a.slow.close();
  void b.fast.close();
});
afterAll(async () => {
  await Promise.all(Object.values(routers ?? {}).map((r) => r.close()));
  await Promise.all(Object.values(apps ?? {}).map((a) => a.close()));
});

async function run(path: PathName, payload: string): Promise<Outcome> {
  const app = apps[path];
  app.reset();
  const r = await rawExchange(routers[path].port, payload, 600);
  // What the router passed on reaches the app within a moment of the answer.
  await new Promise((res) => setTimeout(res, 30));
  return {
    statuses: statuses(r.text),
    closed: r.closed,
    // Sorted: the slow path may pass pipelined requests on over several connections at once.
    requests: app.seen.filter((s) => s.complete).map((s) => `${s.method} ${s.url} ${s.body}`.trim()).sort(),
    appParseErrors: app.parseErrors.filter((e) => !CUT_OFF.has(e)),
  };
}

const REFUSALS = [400, 404, 413, 414, 417, 431, 502];
// The app's parser meeting the end of a connection mid-request: a request the router cut off, not one it mis-framed.
const CUT_OFF = new Set(['HPE_INVALID_EOF_STATE', 'ECONNRESET']);

describe('request payloads', () => {
  for (const [name, [payload, expected]] of Object.entries(REQUESTS)) {
    it(`${name}: ${expected === 'refused' ? 'refused' : Array.isArray(expected) ? `passed on as ${expected.length} request(s)` : `${expected.requests.length} request(s) answered, then refused`}, the same on both paths`, async () => {
      const [fast, slow] = await Promise.all([run('fast', payload), run('slow', payload)]);
      for (const [path, o] of [['fast', fast], ['slow', slow]] as const) {
        expect(o.appParseErrors, path).toEqual([]);
        if (expected === 'refused' || !Array.isArray(expected)) {
          const before = expected === 'refused' ? [] : expected.requests;
          expect(o.statuses.filter((st) => st >= 200).length, `${path}: ${JSON.stringify(o)}`).toBe(before.length + 1);
          expect(REFUSALS, `${path}: ${JSON.stringify(o)}`).toContain(o.statuses.at(-1));
          expect(o.closed, path).toBe(true);
          expect(o.requests, path).toEqual([...before].sort());
        } else {
          expect(o.requests, path).toEqual(expected.map((s) => s.trim()).sort());
          expect(o.statuses.filter((s) => s >= 200), path).toEqual(expected.map(() => expect.any(Number)));
        }
      }
      expect(fast.statuses.map((s) => Math.floor(s / 100))).toEqual(slow.statuses.map((s) => Math.floor(s / 100)));
      expect(fast.requests).toEqual(slow.requests);
      expect(fast.closed).toBe(slow.closed);
    });
  }
});

describe('OPTIONS *', () => {
  it('is answered by the router itself on both paths (204 with Allow), the app seeing nothing', async () => {
    const [fast, slow] = await Promise.all(PATHS.map((p) => run(p, `OPTIONS * HTTP/1.1\r\n${H}${C}\r\n`)));
    for (const o of [fast!, slow!]) expect(o).toEqual({ statuses: [204], closed: true, requests: [], appParseErrors: [] });
  });
});

/** What an app answers, byte for byte, and what the client must get: a 502, the body given, or (`cut`) no whole response and a closed connection. */
const RESPONSES: Record<string, [string, 'bad' | 'cut' | { body: string }]> = {
  'TE and CL': ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'bad'],
  'CL and TE': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 50\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'bad'],
  'two different Content-Lengths': ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 'bad'],
  'two equal Content-Lengths': ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 'bad'],
  'a Content-Length list': ['HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello', 'bad'],
  'Content-Length: +5': ['HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello', 'bad'],
  'Content-Length: 0x5': ['HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello', 'bad'],
  'TE: gzip': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello', 'bad'],
  'TE: chunked, chunked': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'bad'],
  'two TE lines': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'bad'],
  'TE on HTTP/1.0 (read as chunked, then closed)': ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', { body: 'hello' }],
  'a bad chunk size (after the head: the connection is cut)': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 'cut'],
  'a body shorter than its length (the app closes)': ['HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\nhello', 'cut'],
  'a head over 16 KiB': [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 5\r\n\r\nhello`, 'bad'],
  'obs-fold (unfolded with a space)': ['HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello', { body: 'hello' }],
  'a bare LF': ['HTTP/1.1 200 OK\nContent-Length: 5\n\nhello', 'bad'],
  'a NUL in a header': ['HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello', 'bad'],
  'a 101 nobody asked for': ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'bad'],
  'garbage for a status line': ['HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello', 'bad'],
  'a second response after the first (splitting)': ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nspoofed', { body: 'hello' }],
  'a header of 16,000 spaces': [`HTTP/1.1 200 OK\r\nX-Pad: a${' '.repeat(16_000)}b\r\nContent-Length: 5\r\n\r\nhello`, { body: 'hello' }],
  'a 103 before the answer': ['HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', { body: 'hello' }],
};

/** An app that answers each request for /r/<n> with RESPONSES' n-th answer as is (then closes, if it says so), and /next with a plain 200. */
async function startRawApp(): Promise<{ port: number; close(): void }> {
  const answers = Object.values(RESPONSES).map(([bytes]) => bytes);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const target = /^GET (\S+)/.exec(buf)?.[1] ?? '';
        buf = buf.slice(end + 4);
        const n = /^\/r\/(\d+)$/.exec(target)?.[1];
        const answer = n === undefined ? 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext' : answers[Number(n)]!;
        if (answer.includes('Connection: close')) s.end(answer, 'latin1');
        else s.write(answer, 'latin1');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

describe('response payloads', () => {
  let raw: Awaited<ReturnType<typeof startRawApp>>;
  let both: Record<PathName, Router>;
  beforeAll(async () => {
    raw = await startRawApp();
    const table = new RouteTable([{ app: 'raw', hosts: ['raw.localhost'], upstreams: [{ host: '127.0.0.1', port: raw.port }], state: 'running' }]);
    both = await startBothRouters({ table, domain: 'localhost' });
  });
  afterAll(async () => {
    await Promise.all(Object.values(both ?? {}).map((r) => r.close()));
    raw?.close();
  });

  Object.entries(RESPONSES).forEach(([name, [, expected]], i) => {
    it(`${name}: ${expected === 'bad' ? '502' : expected === 'cut' ? 'cut off' : 'relayed as one response'}, the connection still in step, the same on both paths`, async () => {
      const ask = `GET /r/${i} HTTP/1.1\r\nHost: raw.localhost\r\n\r\n`;
      const next = 'GET /next HTTP/1.1\r\nHost: raw.localhost\r\nConnection: close\r\n\r\n';
      const [fast, slow] = await Promise.all(PATHS.map((p) => rawExchange(both[p].port, [ask, next], 2000)));
      for (const [path, r] of [['fast', fast!], ['slow', slow!]] as const) {
        const got = statuses(r.text);
        if (expected === 'cut') {
          expect(r.closed, path).toBe(true);
          expect(r.text, path).not.toContain('next'); // a truncated response, its framing unfinished, and the connection gone
          continue;
        }
        expect(got[0], `${path}: ${r.text.slice(0, 300)}`).toBe(expected === 'bad' ? 502 : 200);
        if (expected !== 'bad') expect(r.text, path).toMatch(new RegExp(`\\r\\n\\r\\n(?:5\\r\\n)?${expected.body}(?:\\r\\n0\\r\\n\\r\\n)?HTTP/1\\.1 200 OK`));
        // the follow-up gets its own answer (or, after a broken response, nothing): never the app's leftovers
        expect(got.length <= 2 && (got.length === 1 || got[1] === 200), path).toBe(true);
        expect(r.text, path).not.toContain('spoofed');
        if (got.length === 2) expect(r.text.endsWith('\r\n\r\nnext'), path).toBe(true);
      }
      expect(statuses(fast!.text)).toEqual(statuses(slow!.text));
    });
  });
});

describe('answers to a websocket upgrade', () => {
  const UPGRADE_ANSWERS: Record<string, string> = {
    'a 200 with TE and CL': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'a 200 with two Content-Lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    'a 200 with a head over 16 KiB': `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 5\r\n\r\nhello`,
    'a 200 with bare LFs': 'HTTP/1.1 200 OK\nContent-Length: 5\n\nhello',
    'a 101 with TE and CL': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello',
    'a 101 with a head over 16 KiB': `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\nhello`,
  };
  let answer = '';
  let server: net.Server;
  let both: Record<PathName, Router>;
  beforeAll(async () => {
    server = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.write(answer, 'latin1'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const table = new RouteTable([{ app: 'raw', hosts: ['raw.localhost'], upstreams: [{ host: '127.0.0.1', port: (server.address() as AddressInfo).port }], state: 'running' }]);
    both = await startBothRouters({ table, domain: 'localhost' });
  });
  afterAll(async () => {
    await Promise.all(Object.values(both ?? {}).map((r) => r.close()));
    server?.close();
  });

  for (const [name, bytes] of Object.entries(UPGRADE_ANSWERS)) {
    it(`${name}: a 502 and the connection closed, on both paths`, async () => {
      answer = bytes;
      for (const path of PATHS) {
        const r = await rawExchange(both[path].port, `GET /ws HTTP/1.1\r\nHost: raw.localhost\r\n${UP}\r\n`, 2000);
        expect(statuses(r.text), path).toEqual([502]);
        expect(r.closed, path).toBe(true);
        expect(r.text, path).not.toContain('hello');
      }
    });
  }
});
