// The wait for a connection to an app instance on the pooled engine (HTTP/2 streams, and HTTP/1.1 requests the fast
// path leaves to Node's server), bounded as the fast path's (fast/links.ts): undici's pool would queue without end,
// and many h2 streams to one slow app would pile up in the router for ever. At most `max` requests wait for one
// instance, each at most `ms`; the rest get the "App is busy" 503, and none of them reaches the app.
import { routerStats } from '../edge/dispatch.ts';

/** How requests wait when an instance has its most connections: at most `max` of them, each for at most `ms`. */
export interface QueueLimits {
  max: number;
  ms: number;
}

export const DEFAULT_QUEUE: QueueLimits = { max: 4096, ms: 10_000 };

/** A request waiting for a connection: told when it waited its most (it then answers the 503). */
export interface Waiter {
  /** True from dispatch until a connection takes it, it leaves, or it expires. */
  waiting: boolean;
  expired(waitedMs: number): void;
}

/** The requests dispatched to one instance that no connection took yet, oldest first. */
export class WaitQueue {
  private entries: Array<{ w: Waiter; since: number }> = [];
  private head = 0;
  /** Waiters still waiting (entries of those that stopped are dropped as the head passes them). */
  count = 0;

  constructor(private readonly limits: QueueLimits) {}

  /** Takes `w` in; false when `max` already wait (it is not taken, and should answer the 503 at once). */
  enter(w: Waiter, now: number): boolean {
    if (this.count >= this.limits.max) return false;
    w.waiting = true;
    this.count++;
    routerStats.pooledWaiting++;
    this.entries.push({ w, since: now });
    return true;
  }

  /** `w` stopped waiting (a connection took it, or its client left). */
  leave(w: Waiter): void {
    if (!w.waiting) return;
    w.waiting = false;
    this.count--;
    routerStats.pooledWaiting--;
  }

  /** Expires the requests that waited their most, and drops the entries of those that stopped waiting. */
  sweep(now: number): void {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (e.w.waiting && now - e.since < this.limits.ms) break;
      this.head++;
      if (e.w.waiting) {
        this.leave(e.w);
        e.w.expired(now - e.since);
      }
    }
    if (this.head === this.entries.length) (this.entries = []), (this.head = 0);
    else if (this.head > 1024) (this.entries = this.entries.slice(this.head)), (this.head = 0);
  }
}
