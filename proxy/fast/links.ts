// Fast path: kept-alive raw TCP connections to app instances, a small pool per instance.
import net, { type Socket } from 'node:net';
import { liveUpstreams, upstreamKey, type RouteTable, type Upstream } from '../../src/routes/index.ts';

/** What a link reports to the request using it. */
export interface LinkUser {
  /** A new link's connection is up: the request can go. */
  onConnect(): void;
  onData(chunk: Buffer): void;
  /** The app closed or reset the connection (err is set for an error). */
  onGone(err: Error | null): void;
  onDrain(): void;
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
    socket.once('connect', () => ((this.connected = true), this.user?.onConnect()));
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
    this.pool.idle.push(this);
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

/** The links to one instance: idle ones (most recent last) and a count of all. */
export class LinkPool {
  idle: Link[] = [];
  open = 0;

  constructor(readonly upstream: Upstream, readonly max: number) {}

  forget(link: Link): void {
    this.open--;
    const at = this.idle.indexOf(link);
    if (at >= 0) this.idle.splice(at, 1);
  }
}

export class Links {
  private readonly pools = new Map<string, LinkPool>();
  private readonly timer: NodeJS.Timeout;
  private sweeps = 0;

  constructor(private readonly table: RouteTable, private readonly max = 256) {
    this.timer = setInterval(() => this.sweep(), 1000);
    this.timer.unref();
  }

  private pool(u: Upstream): LinkPool {
    const k = upstreamKey(u);
    let p = this.pools.get(k);
    if (!p) this.pools.set(k, (p = new LinkPool(u, this.max)));
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

  /** A new connection to `u`, or null when the instance already has its most. */
  connect(u: Upstream, user: LinkUser): Link | null {
    const p = this.pool(u);
    if (p.open >= p.max) return null;
    p.open++;
    const link = new Link(p, net.connect({ host: u.host, port: u.port }));
    link.user = user;
    return link;
  }

  /** Closes links idle past their keep-alive, and (every half minute) the pools of instances no route has. */
  private sweep(): void {
    const now = performance.now();
    for (const p of this.pools.values()) {
      for (const link of [...p.idle]) if (now - link.idleSince >= link.keepMs) link.socket.destroy();
    }
    if (++this.sweeps % 30) return;
    const live = liveUpstreams(this.table.routes());
    for (const [k, p] of this.pools) {
      if (live.has(k)) continue;
      for (const link of [...p.idle]) link.socket.destroy();
      if (p.open <= 0) this.pools.delete(k);
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const p of this.pools.values()) for (const link of [...p.idle]) link.socket.destroy();
    this.pools.clear();
  }
}
