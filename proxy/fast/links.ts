// Fast path: kept-alive raw TCP connections to app instances, a small pool per instance.
import net, { type Socket } from 'node:net';
import { routerStats } from '../edge/dispatch.ts';
import { CONNECT_TIMEOUT_MS, connectTimeout } from '../edge/retry.ts';
import { liveUpstreams, upstreamKey, type RouteTable, type Upstream } from '../../src/routes/index.ts';

/** What a link reports to the request using it. */
export interface LinkUser {
  /** A new link's connection is up: the request can go. */
  onConnect(): void;
  onData(chunk: Buffer): void;
  /** The app closed or reset the connection (err is set for an error). */
  onGone(err: Error | null): void;
  onDrain(): void;
  /** A queued request got a link: a kept one (connected) or a new one (onConnect follows). */
  onLink(link: Link): void;
  /** A queued request waited its most: the 503, as nothing reached the app. */
  overloaded(waitedMs: number): void;
  /** Whether the request is over (a queued one that is over is skipped). */
  readonly done: boolean;
}

// Apps announce their idle timeout (Node: 5 s) or close first; closing ours a second earlier
// avoids writing a request into a closing socket (undici's rule on the slow path).
const DEFAULT_KEEP_MS = 4000;
const MAX_KEEP_MS = 30_000;

/** One connection to an app instance; serves one request at a time. */
export class Link {
  user: LinkUser | null = null;
  /** Whether it carried a request before (a failure then may be a stale keep-alive). */
  reused = false;
  idleSince = 0;
  keepMs = DEFAULT_KEEP_MS;
  closed = false;
  connected = false;

  constructor(readonly pool: LinkPool, readonly socket: Socket) {
    socket.setNoDelay(true);
    // A connect that never comes up (the instance's node gone without a reset) fails as a refused one does.
    // Decided after the loop's I/O (setImmediate): a late timer must not beat a connect already made (probe.ts).
    const limit = setTimeout(() => setImmediate(() => this.connected || socket.destroy(connectTimeout())), CONNECT_TIMEOUT_MS);
    limit.unref();
    socket.once('close', () => clearTimeout(limit));
    socket.once('connect', () => (clearTimeout(limit), (this.connected = true), this.user?.onConnect()));
    socket.on('data', (chunk: Buffer) => (this.user ? this.user.onData(chunk) : socket.destroy())); // unasked-for bytes: unusable
    socket.on('drain', () => this.user?.onDrain());
    socket.on('error', (err) => this.gone(err));
    socket.on('end', () => this.gone(null));
    socket.on('close', () => this.gone(null));
  }

  /** Back to the pool after a clean response, for as long as the app keeps it (its Keep-Alive timeout, ms; -1 unsaid, 0 never). */
  release(keepAliveMs: number): void {
    this.user = null;
    if (this.closed) return;
    this.keepMs = keepAliveMs > 0 ? Math.min(keepAliveMs - 1000, MAX_KEEP_MS) : keepAliveMs === 0 ? 0 : DEFAULT_KEEP_MS;
    if (this.keepMs <= 0) return void this.socket.destroy();
    this.reused = true;
    if (this.socket.isPaused()) this.socket.resume(); // paused for a slow client by the last response
    this.idleSince = performance.now();
    if (!this.pool.handOn(this)) this.pool.idle.push(this);
  }

  private gone(err: Error | null): void {
    if (!this.closed) {
      this.closed = true;
      this.pool.forget(this);
      this.socket.destroy();
    }
    const user = this.user;
    this.user = null;
    user?.onGone(err);
  }
}

/** How requests wait when an instance has its most links: at most `max` of them, each for at most `ms`. */
export interface QueueLimits {
  max: number;
  ms: number;
}

/**
 * The links to one instance: idle ones (most recent last), a count of all, and the requests waiting for one (FIFO).
 * Why a queue: at more clients than links, a request waits for the next free link, as nginx's and HAProxy's do;
 * handing it to the slow path instead cost that client connection the fast path for good (a third of the throughput at 1,000 clients).
 */
export class LinkPool {
  idle: Link[] = [];
  open = 0;
  /** Waiting requests, oldest first from `head` (the array is compacted as it drains). */
  private queue: Array<{ user: LinkUser; since: number }> = [];
  private head = 0;

  constructor(readonly upstream: Upstream, readonly max: number, private readonly limits: QueueLimits) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues `user` for the next free link; false when the queue is full. */
  wait(user: LinkUser): boolean {
    if (this.waiting >= this.limits.max) return false;
    this.queue.push({ user, since: performance.now() });
    return true;
  }

  /** The oldest waiting request still under way, taken off the queue. */
  private next(): LinkUser | null {
    while (this.head < this.queue.length) {
      const { user } = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) (this.queue = this.queue.slice(this.head)), (this.head = 0);
      if (!user.done) return user;
    }
    if (this.head) (this.queue = []), (this.head = 0);
    return null;
  }

  /** A released link goes straight to the oldest waiting request; false when none waits. */
  handOn(link: Link): boolean {
    const user = this.next();
    if (!user) return false;
    link.user = user;
    routerStats.queued++;
    user.onLink(link);
    return true;
  }

  forget(link: Link): void {
    this.open--;
    const at = this.idle.indexOf(link);
    if (at >= 0) this.idle.splice(at, 1);
    // A slot came free: the oldest waiting request gets a new connection in it.
    const user = this.waiting > 0 ? this.next() : null;
    if (user) routerStats.queued++, user.onLink(this.add(user));
  }

  /** Opens a link for `user` in a free slot. */
  add(user: LinkUser): Link {
    this.open++;
    const link = new Link(this, net.connect({ host: this.upstream.host, port: this.upstream.port }));
    link.user = user;
    return link;
  }

  /** Answers the requests that waited their most (the oldest are first); drops the ones already over. */
  expire(now: number): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head]!;
      if (!w.user.done && now - w.since < this.limits.ms) return;
      this.head++;
      if (!w.user.done) routerStats.queueRefused++, w.user.overloaded(now - w.since);
    }
  }
}

export class Links {
  private readonly pools = new Map<string, LinkPool>();
  private readonly timer: NodeJS.Timeout;
  private pruned = performance.now();
  private readonly unsubscribe: () => void;

  constructor(private readonly table: RouteTable, private readonly max = 256, private readonly limits: QueueLimits = { max: 4096, ms: 10_000 }) {
    // Often enough for the queue's timeout to be kept within a fraction of it.
    this.timer = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, limits.ms / 10)));
    this.timer.unref();
    // An instance the routes no longer have (draining, stopping) gets no new request: its idle connections close at
    // once, so its app's graceful stop (Node's server.close() waits for them) is not held up by our keep-alive.
    this.unsubscribe = table.subscribe((routes) => this.closeIdleOutside(liveUpstreams(routes)));
  }

  private closeIdleOutside(live: Set<string>): void {
    for (const [k, p] of this.pools) if (!live.has(k)) for (const link of [...p.idle]) link.socket.destroy();
  }

  private pool(u: Upstream): LinkPool {
    const k = upstreamKey(u);
    let p = this.pools.get(k);
    if (!p) this.pools.set(k, (p = new LinkPool(u, this.max, this.limits)));
    return p;
  }

  /** An idle link to `u`, or null. */
  take(u: Upstream, user: LinkUser): Link | null {
    const p = this.pool(u);
    for (let link = p.idle.pop(); link; link = p.idle.pop()) {
      if (link.closed || link.socket.destroyed) continue;
      link.user = user;
      return link;
    }
    return null;
  }

  /** A new connection to `u`, or null when the instance already has its most (or requests wait for one: they go first). */
  connect(u: Upstream, user: LinkUser): Link | null {
    const p = this.pool(u);
    return p.open >= p.max || p.waiting > 0 ? null : p.add(user);
  }

  /** A link to `u` now (kept or new), else `user` queues for one ('queued'), else 'full'. */
  acquire(u: Upstream, user: LinkUser): Link | 'queued' | 'full' {
    const link = this.take(u, user) ?? this.connect(u, user);
    if (link) return link;
    if (this.pool(u).wait(user)) return 'queued';
    routerStats.queueRefused++;
    return 'full';
  }

  /** Closes links idle past their keep-alive, answers requests queued too long, and (every ~half minute) drops the pools of instances no route has. */
  private sweep(): void {
    const now = performance.now();
    for (const p of this.pools.values()) {
      for (const link of [...p.idle]) if (now - link.idleSince >= link.keepMs) link.socket.destroy();
      p.expire(now);
    }
    if (now - this.pruned < 30_000) return;
    this.pruned = now;
    const live = liveUpstreams(this.table.routes());
    for (const [k, p] of this.pools) {
      if (live.has(k)) continue;
      for (const link of [...p.idle]) link.socket.destroy();
      if (p.open <= 0 && p.waiting === 0) this.pools.delete(k);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const p of this.pools.values()) for (const link of [...p.idle]) link.socket.destroy();
    this.pools.clear();
  }
}
