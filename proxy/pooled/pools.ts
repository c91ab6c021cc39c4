// Keep-alive connection pools to app instances (undici), one per upstream, dropped once it leaves the table; each with
// the bounded wait of the requests no connection took yet (queue.ts).
import { Pool } from 'undici';
import { CONNECT_TIMEOUT_MS } from '../edge/retry.ts';
import { liveUpstreams, upstreamKey, type RouteTable, type Upstream } from '../../src/routes/index.ts';
import { DEFAULT_QUEUE, WaitQueue, type QueueLimits } from './queue.ts';

export interface PoolOptions {
  /** Most connections to one instance at once; more requests queue. */
  connections?: number;
  /** How often pools of instances no longer in the table are closed. */
  pruneMs?: number;
  /** The most requests waiting for a connection to one instance, and how long each may (the fast path's too). */
  queue?: QueueLimits;
}

/** One instance's pool and the requests waiting for one of its connections. */
export interface UpstreamPool {
  pool: Pool;
  queue: WaitQueue;
}

export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly timer: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;
  private readonly limits: QueueLimits;

  constructor(private readonly table: RouteTable, private readonly o: PoolOptions = {}) {
    this.timer = setInterval(() => this.prune(), o.pruneMs ?? 30_000);
    this.timer.unref();
    this.limits = o.queue ?? DEFAULT_QUEUE;
    // Often enough for the wait's bound to be kept within a tenth of it (as the fast path's).
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, this.limits.ms / 10)));
    this.sweeper.unref();
  }

  get(u: Upstream): UpstreamPool {
    const k = upstreamKey(u);
    let entry = this.pools.get(k);
    if (!entry) {
      const host = u.host.includes(':') && !u.host.startsWith('[') ? `[${u.host}]` : u.host;
      const pool = new Pool(`http://${host}:${u.port}`, {
        connections: this.o.connections ?? 256,
        pipelining: 1,
        // Instances are Node, Python, ... servers with their own idle timeouts (Node: 5 s, announced in
        // Keep-Alive, which undici honours); closing ours first avoids writing into a closing socket.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 30_000,
        // The client's body length was already checked by Node's parser; a mismatch is the app's concern.
        strictContentLength: true,
        // An instance whose node died outright: the request goes to another one (UND_ERR_CONNECT_TIMEOUT is unreached).
        connect: { timeout: CONNECT_TIMEOUT_MS },
      });
      pool.on('connectionError', () => {}); // reported to the request that was waiting for it
      entry = { pool, queue: new WaitQueue(this.limits) };
      this.pools.set(k, entry);
    }
    return entry;
  }

  /** Answers the requests that waited their most for a connection. */
  private sweep(): void {
    const now = performance.now();
    for (const { queue } of this.pools.values()) queue.sweep(now);
  }

  /** Closes the pools of instances no route has any more (their idle sockets would linger otherwise). */
  prune(): void {
    const live = liveUpstreams(this.table.routes());
    for (const [k, { pool }] of this.pools) {
      if (live.has(k)) continue;
      this.pools.delete(k);
      pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.pool.destroy().catch(() => {})));
  }
}
