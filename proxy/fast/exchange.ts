// Fast path: one request on its way to an app over a raw link and its response back, relayed by framing.
import { STATUS_CODES } from 'node:http';
import type { Route } from '../../src/routes/index.ts';
import type { Exchange } from '../edge/exchange.ts';
import { tryAgain } from '../edge/retry.ts';
import { idleTimeout, isTimeout } from '../edge/timeout.ts';
import { busyPage, notAnsweringPage, timedOutPage, type Page } from '../edge/pages.ts';
import { date, pageBytes } from './framing.ts';
import { ChunkedScanner } from './chunked.ts';
import { parseResponse, type ResponseHead } from './head.ts';
import type { Link, LinkUser } from './links.ts';

/** What a request needs from its client connection (conn.ts). */
export interface Client {
  /** Writes to the client; false when it should wait for 'drain'. */
  write(data: string | Buffer): boolean;
  /** The response is over (the link already kept or closed); the rest of the request body, if any, is still to be dropped. */
  finished(x: FastExchange): void;
  /** A new link could not connect: nothing reached the app, so the slow path gets the request. */
  unreached(x: FastExchange, why: string): void;
  /** A new link connected: the request goes now, with the body bytes already read. */
  connected(x: FastExchange): void;
  /** Sends the request again on a new link; false when there is none to be had. */
  retry(x: FastExchange): boolean;
  /** Bytes queued for the client, not yet taken by the kernel. */
  buffered(): number;
  /** Gathers writes to the client into one. */
  cork(): void;
  uncork(): void;
  /** Stops the client's bytes (backpressure from the app) or lets them flow again. */
  pause(): void;
  resume(): void;
  /** The response broke after its head went out: the client connection must close. */
  abort(): void;
  /** `Connection: keep-alive` and Node's `Keep-Alive`, or `Connection: close`, as header lines. */
  readonly keepAliveHeader: string;
}

// biome-ignore lint/suspicious/noConstEnum: the fast path's body framings, inlined as numbers (one file, no export)
const enum Body { None, Length, Chunked, Close }
const CRLF = '\r\n';
// The most response bytes queued for a client before the app is made to wait.
const MAX_BUFFERED = 512 * 1024;

export class FastExchange implements LinkUser {
  link: Link | null = null;
  /** Request body bytes still to come from the client. */
  bodyLeft: number;
  /** Body bytes to read from the client and throw away (after an early answer). */
  discard = 0;
  headSent = false;
  /** The head went to the app (the link was up). */
  sent = false;
  private retried = false;
  done = false;
  last = performance.now();
  private res: Buffer | null = null;
  private head: ResponseHead | null = null;
  private body = Body.None;
  private left = 0;
  private chunks: ChunkedScanner | null = null;
  /** Whether the link can carry another request after this one. */
  private clean = true;

  constructor(
    readonly client: Client,
    readonly ex: Exchange,
    readonly method: string,
    readonly target: string,
    readonly route: Route,
    readonly timeoutMs: number,
    length: number,
  ) {
    this.bodyLeft = length;
  }

  /** Writes the head and the body bytes already read to the link; returns how many of `buf` from `from` it took. */
  send(head: string, buf: Buffer | null, from: number): number {
    const link = this.link!;
    this.sent = true;
    const take = buf ? Math.min(this.bodyLeft, buf.length - from) : 0;
    this.bodyLeft -= take;
    const s = link.socket;
    if (take > 0) {
      s.cork();
      s.write(head, 'latin1');
      if (!s.write(buf!.subarray(from, from + take))) this.client.pause();
      s.uncork();
    } else s.write(head, 'latin1');
    return take;
  }

  /** More of the request body from the client; returns how many of `chunk`'s bytes were the body's. */
  clientData(chunk: Buffer, from: number): number {
    this.last = performance.now();
    if (this.discard > 0) {
      const n = Math.min(this.discard, chunk.length - from);
      this.discard -= n;
      if (this.discard === 0 && this.done) this.client.finished(this);
      return n;
    }
    if (!this.sent) return 0; // still connecting: the bytes wait in the client's buffer
    const n = Math.min(this.bodyLeft, chunk.length - from);
    if (n === 0) return 0;
    this.bodyLeft -= n;
    const s = this.link?.socket;
    if (s && !s.destroyed && !s.write(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n))) this.client.pause();
    return n;
  }

  onConnect(): void {
    if (!this.done) this.client.connected(this);
  }

  onDrain(): void {
    this.client.resume();
  }

  /** The link this request waited for (links.ts queued it: the instance had its most). */
  onLink(link: Link): void {
    this.link = link;
    this.last = performance.now();
    if (link.connected) this.client.connected(this);
  }

  /** No link came in time (waitedMs), or the queue was full (null): the 503, and nothing reached the app. */
  overloaded(waitedMs: number | null): void {
    if (this.done) return;
    this.done = true;
    this.page(busyPage(this.route.app, waitedMs));
  }

  onData(chunk: Buffer): void {
    this.last = performance.now();
    if (this.done) return void (this.clean = false); // bytes past the response's end
    if (!this.head) {
      this.res = this.res ? Buffer.concat([this.res, chunk]) : chunk;
      let from = 0;
      let h: ResponseHead | 'incomplete' | null;
      // 1xx answers (103 Early Hints, a 100 nobody asked for) are not relayed, as on the slow path.
      for (h = parseResponse(this.res); h !== null && h !== 'incomplete' && h.status < 200 && h.status !== 101; h = parseResponse(this.res, from)) from += h.size;
      if (h === 'incomplete') return void (this.res = from ? this.res.subarray(from) : this.res);
      if (h === null || h.status === 101) return this.fail(null);
      from += h.size;
      const rest = this.res;
      this.res = null;
      // The head and the body's first bytes leave in one write.
      this.client.cork();
      this.start(h);
      if (from < rest.length) this.relay(rest, from);
      else if (this.body === Body.None || (this.body === Body.Length && this.left === 0)) this.end();
      this.client.uncork();
      return;
    }
    this.relay(chunk, 0);
  }

  private start(h: ResponseHead): void {
    this.head = h;
    const status = h.status;
    const bodiless = this.method === 'HEAD' || status === 204 || status === 304;
    if (bodiless) this.body = Body.None;
    else if (h.chunked) (this.body = Body.Chunked), (this.chunks = new ChunkedScanner());
    else if (h.length >= 0) (this.body = Body.Length), (this.left = h.length);
    else (this.body = Body.Close), (this.clean = false); // re-chunked for the client, which stays open
    const te = this.body === Body.Chunked || this.body === Body.Close ? 'Transfer-Encoding: chunked\r\n' : '';
    const reason = h.reason || STATUS_CODES[status] || 'unknown';
    this.ex.status = status;
    this.headSent = true;
    this.client.write(`HTTP/1.1 ${status} ${reason}\r\n${h.lines}x-request-id: ${this.ex.id}\r\n${h.hasDate ? '' : date()}${this.client.keepAliveHeader}${te}\r\n`);
  }

  private relay(chunk: Buffer, from: number): void {
    const n = chunk.length - from;
    let ok = true;
    switch (this.body) {
      case Body.None:
        this.clean = false;
        return this.end();
      case Body.Length: {
        const take = Math.min(n, this.left);
        this.left -= take;
        this.ex.bytes += take;
        if (take < n) this.clean = false;
        if (take > 0) ok = this.client.write(from === 0 && take === chunk.length ? chunk : chunk.subarray(from, from + take));
        if (this.left === 0) return this.end();
        break;
      }
      case Body.Chunked: {
        const sc = this.chunks!;
        const before = sc.payload;
        const pass = sc.feed(chunk, from);
        if (sc.failed) return this.fail(null);
        this.ex.bytes += sc.payload - before;
        if (pass > 0) ok = this.client.write(from === 0 && pass === chunk.length ? chunk : chunk.subarray(from, from + pass));
        if (sc.done) {
          if (sc.used < n) this.clean = false;
          this.client.write(CRLF);
          return this.end();
        }
        break;
      }
      case Body.Close:
        this.ex.bytes += n;
        this.client.write(`${n.toString(16)}\r\n`);
        this.client.write(from === 0 ? chunk : chunk.subarray(from));
        ok = this.client.write(CRLF);
        break;
    }
    // A slow client stops the app's side (resumed by the client's 'drain', conn.ts); not at every
    // full socket buffer, though: pausing and resuming per 64 KB read costs more than it saves.
    if (!ok && this.client.buffered() > MAX_BUFFERED) this.link?.socket.pause();
  }

  /** The app's response is complete. */
  private end(): void {
    if (this.done) return;
    this.done = true;
    const link = this.link;
    if (this.bodyLeft > 0) {
      // The app answered before the whole body arrived: the rest is read and dropped.
      this.clean = false;
      this.discard = this.bodyLeft;
      this.bodyLeft = 0;
    }
    this.link = null;
    if (link) {
      if (this.clean && !this.head!.close) link.release(this.head!.keepAliveMs);
      else (link.user = null), link.socket.destroy();
    }
    this.client.finished(this);
  }

  onGone(err: Error | null): void {
    if (this.done) return;
    const again = tryAgain({
      // A new connection that never came up: no byte of the request reached the app.
      unreached: !this.sent && !!this.link && !this.link.connected,
      stale: this.sent && !this.head && !this.res && !!this.link?.reused,
      replayable: this.bodyLeft === 0 && (this.method === 'GET' || this.method === 'HEAD'),
      retried: this.retried,
    });
    if (again === 'next') return void ((this.link = null), this.client.unreached(this, (err as NodeJS.ErrnoException | null)?.code ?? 'closed'));
    if (again === 'same') {
      this.retried = true;
      this.sent = false;
      this.link = null;
      if (this.client.retry(this)) return;
    }
    if (this.body === Body.Close && this.head && err === null) {
      this.client.write('0\r\n\r\n');
      return this.end();
    }
    this.fail(err);
  }

  /** The upstream idle timeout fired. */
  timedOut(): void {
    this.fail(idleTimeout(this.timeoutMs));
  }

  /** Something went wrong with the app's side: a page when nothing was answered yet, else a broken response. */
  fail(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.clean = false;
    const link = this.link;
    this.link = null;
    if (link) {
      link.user = null;
      link.socket.destroy();
    }
    if (this.headSent) return this.client.abort();
    this.page(isTimeout(err) ? timedOutPage(this.route.app, this.timeoutMs) : notAnsweringPage(this.route.app));
  }

  /** One of the router's own pages, as sendPage writes it; the rest of an unsent body is dropped. */
  private page(p: Page): void {
    const { head, body } = pageBytes(p, this.ex.id, this.client.keepAliveHeader);
    const bodiless = this.method === 'HEAD';
    this.ex.status = p.status;
    this.ex.bytes = bodiless ? 0 : body.length;
    this.headSent = true;
    this.client.write(head);
    if (!bodiless) this.client.write(body);
    this.discard = this.bodyLeft;
    this.bodyLeft = 0;
    this.client.finished(this);
  }

  /** The client went away: the app's side goes too. */
  clientGone(): void {
    if (this.done) return;
    this.done = true;
    const link = this.link;
    this.link = null;
    if (link) (link.user = null), link.socket.destroy();
  }
}
