// Fast path: one client connection, served request by request until one needs the slow path, which then gets the connection.
import type { Socket } from 'node:net';
import { normalizeHost, type Upstream } from '../../src/routes/index.ts';
import { countHandOver, dispatch, routerStats, type HandOver } from '../edge/dispatch.ts';
import type { Exchange } from '../edge/exchange.ts';
import { forwardedHeaders } from '../edge/forwarded.ts';
import { newRequestId } from '../edge/request-id.ts';
import { plainAddress } from '../edge/trust.ts';
import { fallbacks } from '../edge/retry.ts';
import type { Door, FastPath } from './types.ts';
import { FastExchange, type Client } from './exchange.ts';
import { parseRequest, userAgent, type RequestHead } from './head.ts';

const KEEP_ALIVE = 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';
const CLOSE = 'Connection: close\r\n';
// Node's server keepAliveTimeout: an idle client connection closes after it.
const IDLE_MS = 5000;
// Pipelined bytes held while a request is under way, before the client is made to wait.
const MAX_BUFFERED = 65536;
// The fast path never keeps a peer's forwarding headers (dispatch hands those over).
const given = () => undefined;

export class Conn implements Client {
  private buf: Buffer | null = null;
  private x: FastExchange | null = null;
  /** The request under way's head, for the slow path when no instance takes it. */
  private raw: Buffer | null = null;
  private upstream: Upstream | null = null;
  /** The route's other instances, once one refused the request under way. */
  private rest: Upstream[] | null = null;
  private head = '';
  /** The forwarding header lines for requests naming `fwdHost`: the same on most of a connection's requests. */
  private fwdHost: string | null = null;
  private fwdLines = '';
  private closeAfter = false;
  private over = false;
  private paused = false;
  private pumping = false;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private readonly peer: string | undefined;
  private readonly localPort: number | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.pump();
  };
  private readonly onDrain = () => this.x?.link?.socket.resume();
  private readonly onError = () => this.socket.destroy();
  private readonly onClose = () => this.closed();
  // The client half-closed: as Node's server does, the request under way is abandoned and the connection ends.
  private readonly onEnd = () => {
    this.abandon();
    if (!this.over) this.socket.end();
    this.over = true;
  };
  // Idle between requests, or while the rest of an answered request's body never comes.
  private readonly onTimeout = () => void (this.x && !this.x.done ? undefined : this.socket.destroy());

  constructor(private readonly fp: FastPath, private readonly door: Door, private readonly socket: Socket) {
    this.peer = socket.remoteAddress;
    this.localPort = socket.localPort;
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(IDLE_MS);
  }

  get keepAliveHeader(): string {
    return this.closeAfter ? CLOSE : KEEP_ALIVE;
  }

  write(data: string | Buffer): boolean {
    if (this.socket.destroyed) return true;
    // Heads are latin1 strings: the app's header bytes (obs-text too) go out exactly as they came.
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  buffered(): number {
    return this.socket.writableLength;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  abort(): void {
    this.socket.destroy();
  }

  /** Feeds the client's bytes to the request under way, or starts the next one. */
  private pump(): void {
    if (this.pumping) return; // a request finished from inside the loop: the loop goes on
    this.pumping = true;
    try {
      this.feed();
    } finally {
      this.pumping = false;
    }
  }

  private feed(): void {
    while (this.buf && !this.over) {
      const x = this.x;
      if (x) {
        const n = x.clientData(this.buf, 0);
        if (n === 0) break;
        this.buf = n === this.buf.length ? null : this.buf.subarray(n);
      } else if (!this.next()) break;
    }
    if (this.buf && this.buf.length > MAX_BUFFERED && this.x) this.pause();
  }

  /** Starts the request at the start of the buffer, or hands the connection over; whether one started. */
  private next(): boolean {
    const buf = this.buf!;
    const parsed = parseRequest(buf);
    const fp = this.fp;
    const match = parsed === null || parsed === 'incomplete' ? null : fp.table.lookup(parsed.host);
    const verdict = dispatch(parsed, match, this.peer, fp, this.door.proto === 'https');
    if (verdict !== 'fast') return this.handOver(buf, verdict);
    // Served here: dispatch saw a parsed head, and a route with an instance.
    const h = parsed as RequestHead;
    const route = match!.route;
    const up = match!.upstream!;
    const ex: Exchange = { id: h.id ?? newRequestId(), host: normalizeHost(h.host), app: route.app, start: performance.now(), client: plainAddress(this.peer) ?? '-', ua: userAgent(h.lines), bytes: 0, status: 0 };
    // A draining router (its successor already listens) tells the client to come back on a new connection.
    this.closeAfter = h.close || fp.draining;
    const x = new FastExchange(this, ex, h.method, h.target, route, route.timeoutMs ?? fp.timeoutMs, h.length);
    if (h.host !== this.fwdHost) this.forwarding(h.host);
    this.head = `${h.method} ${h.target} HTTP/1.1\r\n${h.lines}connection: keep-alive\r\n${this.fwdLines}x-request-id: ${ex.id}\r\n\r\n`;
    this.x = x;
    this.upstream = up;
    this.rest = null;
    this.raw = buf.subarray(0, h.size);
    this.buf = h.size === buf.length ? null : buf.subarray(h.size);
    fp.waker.seen(route.app);
    this.arm(x.timeoutMs);
    // The instance has its most connections: the request waits for the next free one (its bytes wait in this.buf).
    const link = fp.links.acquire(up, x);
    if (link === 'full') x.overloaded(null);
    else if (link !== 'queued') {
      x.link = link;
      if (link.connected) this.connected(x);
    }
    return true;
  }

  /** Makes the forwarding header lines for requests naming `host`: trusted is false, as dispatch hands trusted peers' over. */
  private forwarding(host: string): void {
    const fwd = forwardedHeaders({ peer: this.peer, trusted: false, proto: this.door.proto, host, localPort: this.localPort, given });
    let lines = '';
    for (let i = 0; i < fwd.length; i += 2) lines += `${fwd[i]}: ${fwd[i + 1]}\r\n`;
    this.fwdHost = host;
    this.fwdLines = lines;
  }

  connected(x: FastExchange): void {
    if (x !== this.x) return;
    this.resume(); // bytes held while connecting can flow now (send pauses again if the app is slow)
    const took = x.send(this.head, this.buf, 0);
    if (took > 0) this.buf = took === this.buf!.length ? null : this.buf!.subarray(took);
  }

  /**
   * A kept-alive link closed under a bodyless GET or HEAD before any answer: most likely the app
   * closed it as idle just as the request went, so it is sent again, once, on a new connection.
   */
  retry(x: FastExchange): boolean {
    if (x !== this.x) return false;
    const link = this.fp.links.acquire(this.upstream!, x);
    if (link === 'full') return false;
    if (link !== 'queued') x.link = link; // queued: onLink gives it one
    return true;
  }

  /** A new link was refused: the next instance, as the pooled engine retries; when none is left, the slow path answers. */
  unreached(x: FastExchange, why: string): void {
    if (x !== this.x) return;
    const fp = this.fp;
    const rest = (this.rest = fallbacks(fp.table, x.route, this.upstream!, this.rest, why));
    for (let up = rest.shift(); up; up = rest.shift()) {
      const link = fp.links.take(up, x) ?? fp.links.connect(up, x);
      if (!link) continue;
      x.link = link;
      this.upstream = up;
      if (link.connected) this.connected(x);
      return;
    }
    // Every instance refused: the slow path tries them again and answers its 502 page.
    this.x = null;
    const raw = this.raw!;
    this.raw = null;
    this.handOver(this.buf ? Buffer.concat([raw, this.buf]) : raw, 'unreached');
  }

  finished(x: FastExchange): void {
    if (x !== this.x) return;
    if (x.discard > 0) return this.pump(); // the body's rest is read (and dropped) first
    this.x = null;
    this.raw = null;
    routerStats.fast++;
    this.fp.log?.(x.method, x.target, x.ex);
    if (this.closeAfter) {
      this.over = true;
      this.socket.end();
      return;
    }
    this.resume();
    if (this.buf) this.pump();
  }

  /** The upstream idle timer: one per connection, re-armed per request. */
  private arm(ms: number): void {
    if (this.timer && this.timerMs === ms) return void this.timer.refresh();
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.check(), ms).unref();
  }

  private check(): void {
    const x = this.x;
    if (!x || x.done) return;
    const idle = !x.link && !x.sent ? 0 : performance.now() - x.last; // waiting for a link is the queue's timeout's, not the app's
    if (idle >= this.timerMs) return x.timedOut();
    clearTimeout(this.timer!);
    this.timer = setTimeout(() => this.check(), this.timerMs - idle).unref();
  }

  private closed(): void {
    this.over = true;
    if (this.timer) clearTimeout(this.timer);
    this.abandon();
  }

  /** The client left with a request under way: the app's side goes too, and the log says so. */
  private abandon(): void {
    const x = this.x;
    this.x = null;
    if (!x) return;
    if (!x.done) {
      x.clientGone();
      // 499 (nginx's "client closed request") when the client left before any answer.
      if (!x.headSent) x.ex.status = 499;
    }
    this.fp.log?.(x.method, x.target, x.ex); // a broken response, or one whose body was being dropped
  }

  /** Gives the connection, from `bytes` on, to Node's HTTP server: the slow path. Returns false. */
  private handOver(bytes: Buffer | null, why: HandOver): false {
    this.over = true;
    this.buf = null;
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    s.off('data', this.onData);
    s.off('drain', this.onDrain);
    s.off('error', this.onError);
    s.off('close', this.onClose);
    s.off('end', this.onEnd);
    s.off('timeout', this.onTimeout);
    s.setTimeout(0);
    if (bytes?.length) s.unshift(bytes);
    countHandOver(why);
    this.door.handOver(s);
    // Node's server reads the unshifted bytes once the socket flows (a paused one would keep them).
    if (s.isPaused()) s.resume();
    return false;
  }
}
