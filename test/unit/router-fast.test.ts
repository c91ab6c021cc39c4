// The router's fast path parsers: the strict request-head parser, the response-head parser and the chunked scanner.
import { describe, expect, it } from 'vitest';
import { ChunkedScanner } from '../../proxy/fast/chunked.ts';
import { parseRequest, parseResponse, type RequestHead, type ResponseHead } from '../../proxy/fast/head.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const req = (s: string) => parseRequest(b(s)) as RequestHead;
const H = 'Host: a.localhost\r\n';

describe('parseRequest', () => {
  it('reads a plain GET: method, target, host, and the lines the app gets', () => {
    const h = req(`GET /x?y=1 HTTP/1.1\r\n${H}Accept: */*\r\nUser-Agent:  curl  \r\n\r\n`);
    expect(h).toMatchObject({ method: 'GET', target: '/x?y=1', host: 'a.localhost', length: 0, close: false, id: null, forwarded: false });
    expect(h.lines).toBe(`${H}Accept: */*\r\nUser-Agent:  curl  \r\n`);
    expect(h.size).toBe(Buffer.byteLength(`GET /x?y=1 HTTP/1.1\r\n${H}Accept: */*\r\nUser-Agent:  curl  \r\n\r\n`));
  });

  it('waits for a head split across packets, and reads it once whole', () => {
    const whole = `GET / HTTP/1.1\r\n${H}\r\n`;
    for (let cut = 1; cut < whole.length; cut++) expect(parseRequest(b(whole.slice(0, cut)))).toBe('incomplete');
    expect(req(whole).host).toBe('a.localhost');
  });

  it('reads pipelined heads one after the other, from an offset', () => {
    const two = b(`POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n${H}\r\n`);
    const first = parseRequest(two) as RequestHead;
    expect(first).toMatchObject({ method: 'POST', target: '/a', length: 3 });
    const second = parseRequest(two, first.size + 3) as RequestHead;
    expect(second).toMatchObject({ method: 'GET', target: '/b', length: 0 });
    expect(first.size + 3 + second.size).toBe(two.length);
  });

  it('drops hop-by-hop headers, those Connection names and the forwarding ones, but never Host or Content-Length', () => {
    const h = req(`POST / HTTP/1.1\r\n${H}Connection: keep-alive, X-Secret, Host, Content-Length\r\nX-Secret: s\r\nKeep-Alive: 1\r\nTE: trailers\r\n` +
      `Trailer: x\r\nProxy-Connection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=x\r\nContent-Length: 2\r\nX-Kept: 1\r\n\r\n`);
    expect(h.lines).toBe(`${H}Content-Length: 2\r\nX-Kept: 1\r\n`);
    expect(h.forwarded).toBe(true);
    expect(h.length).toBe(2);
  });

  it('notes Connection: close, and keeps a single safe X-Request-Id', () => {
    expect(req(`GET / HTTP/1.1\r\n${H}Connection: Close\r\nX-Request-Id: abc-1.2_3\r\n\r\n`)).toMatchObject({ close: true, id: 'abc-1.2_3' });
    expect(req(`GET / HTTP/1.1\r\n${H}X-Request-Id: a b\r\n\r\n`).id).toBeNull();
    expect(req(`GET / HTTP/1.1\r\n${H}X-Request-Id: a\r\nX-Request-Id: b\r\n\r\n`).id).toBeNull();
  });

  const slow: Record<string, string> = {
    'chunked upload': `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`,
    'CL and TE': `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n`,
    'two Content-Lengths': `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\n`,
    'a Content-Length list': `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\n`,
    'a signed Content-Length': `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\n`,
    'websocket upgrade': `GET / HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    'Connection: upgrade alone': `GET / HTTP/1.1\r\n${H}Connection: upgrade\r\n\r\n`,
    'Expect': `PUT / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 1\r\n\r\n`,
    'no Host': 'GET / HTTP/1.1\r\n\r\n',
    'an empty Host': 'GET / HTTP/1.1\r\nHost:\r\n\r\n',
    'two Hosts': `GET / HTTP/1.1\r\n${H}Host: b.localhost\r\n\r\n`,
    'HTTP/1.0': `GET / HTTP/1.0\r\n${H}\r\n`,
    'absolute form': `GET http://a.localhost/ HTTP/1.1\r\n${H}\r\n`,
    'asterisk form': `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    'an unknown method': `PURGE / HTTP/1.1\r\n${H}\r\n`,
    'a lowercase method': `get / HTTP/1.1\r\n${H}\r\n`,
    'obs-fold': `GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`,
    'a space before the colon': `GET / HTTP/1.1\r\n${H}X-A : a\r\n\r\n`,
    'a bare LF': `GET / HTTP/1.1\n${H}\r\n`,
    'a bare LF in a value': `GET / HTTP/1.1\r\n${H}X-A: a\nb\r\n\r\n`,
    'a bare CR in a value': `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`,
    'a NUL in a value': `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`,
    'obs-text in a value': `GET / HTTP/1.1\r\n${H}X-A: caf\xe9\r\n\r\n`,
    'a space in the target': 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
    'a fragment': `GET /a#b HTTP/1.1\r\n${H}\r\n`,
    'two spaces after the method': `GET  / HTTP/1.1\r\n${H}\r\n`,
    'a bad header name': `GET / HTTP/1.1\r\n${H}X(A): a\r\n\r\n`,
    'a huge head': `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(9000)}\r\n\r\n`,
  };
  for (const [name, head] of Object.entries(slow)) {
    it(`leaves ${name} to the slow path`, () => expect(parseRequest(b(head))).toBeNull());
  }

  it('gives up on an endless head rather than waiting for it', () => {
    expect(parseRequest(b(`GET / HTTP/1.1\r\nX: ${'a'.repeat(9000)}`))).toBeNull();
  });
});

describe('parseResponse', () => {
  const res = (s: string) => parseResponse(b(s)) as ResponseHead;

  it('reads status, reason, framing and keep-alive, dropping hop-by-hop headers and the app’s X-Request-Id', () => {
    const h = res('HTTP/1.1 200 Fine\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Request-Id: forged\r\n\r\n');
    expect(h).toMatchObject({ status: 200, reason: 'Fine', length: 5, chunked: false, close: false, keepAliveMs: 5000, hasDate: false });
    expect(h.lines).toBe('Content-Type: text/plain\r\nContent-Length: 5\r\n');
  });

  it('drops what Connection names; keeps Date and obs-text values', () => {
    const h = res('HTTP/1.1 200\r\nDate: x\r\nTransfer-Encoding: chunked\r\nConnection: close, X-Internal\r\nX-Internal: 1\r\nX-Name: caf\xe9\r\n\r\n');
    expect(h).toMatchObject({ reason: '', length: -1, chunked: true, close: true, hasDate: true });
    expect(h.lines).toBe('Date: x\r\nX-Name: caf\xe9\r\n');
  });

  it('treats HTTP/1.0 as closing unless it says keep-alive, and always when it is chunked (RFC 9112 §6.1)', () => {
    expect(res('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').close).toBe(true);
    expect(res('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').close).toBe(false);
    expect(res('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n')).toMatchObject({ chunked: true, close: true });
  });

  it('undoes obs-fold with a space, as undici does; refuses whitespace before the first field', () => {
    expect(res('HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\n\tc\r\nContent-Length: 0\r\n\r\n').lines).toBe('X-A: a b c\r\nContent-Length: 0\r\n');
    expect(parseResponse(b('HTTP/1.1 200 OK\r\n X-A: a\r\n\r\n'))).toBeNull();
  });

  it('refuses a head with bare LFs at once, before its end arrives', () => {
    expect(parseResponse(b('HTTP/1.1 200 OK\nContent-Length: 5\n'))).toBeNull();
    expect(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'))).toBe('incomplete');
  });

  it('reads 1xx, 204 and 304 heads, and waits for a split one', () => {
    expect(res('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n').status).toBe(103);
    expect(res('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({ status: 304, length: 10 });
    expect(parseResponse(b('HTTP/1.1 204 No Content\r\nX: 1\r\n'))).toBe('incomplete');
  });

  for (const bad of [
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
  ]) {
    it(`refuses ${JSON.stringify(bad.split('\r\n').slice(0, 3).join(' | '))}`, () => expect(parseResponse(b(bad))).toBeNull());
  }
});

/** Feeds `body` to a scanner in pieces of `step` bytes; returns what passed and the scanner. */
function scan(body: string, step = body.length): { passed: string; sc: ChunkedScanner; used: number } {
  const sc = new ChunkedScanner();
  let passed = '';
  let used = 0;
  for (let i = 0; i < body.length && !sc.done && !sc.failed; i += step) {
    const piece = b(body.slice(i, i + step));
    passed += piece.subarray(0, sc.feed(piece)).toString('latin1');
    used += sc.used;
  }
  return { passed, sc, used };
}

describe('ChunkedScanner', () => {
  const body = '5\r\nhello\r\n6;name=val\r\n world\r\n0\r\n\r\n';

  it('passes chunks through unchanged, extensions included, and finds the end in any split', () => {
    for (const step of [1, 2, 3, 7, body.length]) {
      const { passed, sc, used } = scan(body, step);
      expect(sc.done, `step ${step}`).toBe(true);
      expect(sc.failed).toBe(false);
      expect(passed).toBe('5\r\nhello\r\n6;name=val\r\n world\r\n0\r\n'); // the caller adds the final CRLF
      expect(sc.payload).toBe(11);
      expect(used).toBe(body.length);
    }
  });

  it('drops trailers, in any split', () => {
    const withTrailers = '3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n';
    for (const step of [1, 4, withTrailers.length]) {
      const { passed, sc } = scan(withTrailers, step);
      expect(sc.done).toBe(true);
      expect(passed).toBe('3\r\nabc\r\n0\r\n');
    }
  });

  it('stops at the end of the body: bytes after it are not the response’s', () => {
    const sc = new ChunkedScanner();
    const buf = b('1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n');
    expect(sc.feed(buf)).toBe(9); // `1\r\na\r\n0\r\n`
    expect(sc.done).toBe(true);
    expect(sc.used).toBe(11);
  });

  it('takes big chunks and upper-case sizes', () => {
    const data = 'x'.repeat(0x1a2b);
    const { sc, passed } = scan(`1A2B\r\n${data}\r\n0\r\n\r\n`, 1000);
    expect(sc.done).toBe(true);
    expect(sc.payload).toBe(0x1a2b);
    expect(passed.length).toBe(6 + 0x1a2b + 2 + 3);
  });

  for (const bad of ['x\r\n', '\r\n', '5\nhello\r\n', '5\r\nhelloX\r\n', '5\r\nhello\n0\r\n\r\n', '1234567890abc\r\n', '5 \r\nhello\r\n', '3;a\x00\r\nabc\r\n', '0\r\nX: 1\n\r\n']) {
    it(`fails on ${JSON.stringify(bad)}`, () => expect(scan(bad).sc.failed).toBe(true));
  }
});
