// Keep-alive connection pools to app instances (undici), one per upstream, dropped once it leaves the table.
import { Pool } from 'undici';
import { CONNECT_TIMEOUT_MS } from '../edge/retry.ts';
import { liveUpstreams, upstreamKey, type RouteTable, type Upstream } from '../../src/routes/index.ts';

export interface PoolOptions {
  /** Most connections to one instance at once; more requests queue. */
  connections?: number;
  /** How often pools of instances no longer in the table are closed. */
  pruneMs?: number;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly table: RouteTable, private readonly o: PoolOptions = {}) {
    this.timer = setInterval(() => this.prune(), o.pruneMs ?? 30_000);
    this.timer.unref();
  }

  get(u: Upstream): Pool {
    const k = upstreamKey(u);
    let pool = this.pools.get(k);
    if (!pool) {
      const host = u.host.includes(':') && !u.host.startsWith('[') ? `[${u.host}]` : u.host;
      pool = new Pool(`http://${host}:${u.port}`, {
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
      this.pools.set(k, pool);
    }
    return pool;
  }

  /** Closes the pools of instances no route has any more (their idle sockets would linger otherwise). */
  prune(): void {
    const live = liveUpstreams(this.table.routes());
    for (const [k, pool] of this.pools) {
      if (live.has(k)) continue;
      this.pools.delete(k);
      pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => {})));
  }
}
