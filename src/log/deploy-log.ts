// The deploy log: lines are stored durably and published live; followers get backlog then live lines.
// Bounded: each deploy keeps so many lines and bytes, then says it was cut; old deploys' lines are pruned.
import { Redis } from 'ioredis';
import { CUT_MARK, MAX_LINE, parseRedisUrl, type Deploy, type LogEvent } from '../core/index.ts';
import type { Store } from '../store/index.ts';

type EndEvent = Extract<LogEvent, { type: 'end' }>;
type Listener = (e: LogEvent) => void;

const channel = (deployId: string) => `minicloud:deploy:${deployId}`;

export interface DeployLogLimits {
  /** Lines and bytes one deploy's log keeps; past either, one "… truncated" line and then only minicloud's own. */
  lines: number;
  bytes: number;
  /** Deploys per app whose lines are kept. */
  keep: number;
}

export const DEPLOY_LOG_LIMITS: DeployLogLimits = { lines: 20_000, bytes: 4 * 1024 * 1024, keep: 50 };
/** After the cut, minicloud's own step and error lines (`-----> `, ` !     `) still get through, this many. */
const OWN_LINES_AFTER_CUT = 200;
const OWN_LINE = /^(?:-----> | ! {5})/;

interface Budget { lines: number; bytes: number; cut: boolean; after: number }

export class DeployLog {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** What each deploy being written has used so far (read from the store once, after a restart too). */
  private readonly budgets = new Map<string, Budget>();
  private readonly enders: ((deploy: Deploy) => void)[] = [];

  /** `appUrl` names where a succeeded deploy's app serves, for the end event. */
  constructor(
    private readonly store: Store,
    redisUrl: string,
    private readonly appUrl: (app: string) => string,
    private readonly limits: DeployLogLimits = DEPLOY_LOG_LIMITS,
  ) {
    this.pub = new Redis({ ...parseRedisUrl(redisUrl), maxRetriesPerRequest: null });
    this.sub = new Redis({ ...parseRedisUrl(redisUrl), maxRetriesPerRequest: null });
    this.pub.on('error', () => {}); // reconnects on its own; store keeps every line meanwhile
    this.sub.on('error', () => {});
    this.sub.on('message', (ch: string, msg: string) => {
      const set = this.listeners.get(ch);
      if (!set) return;
      const event = JSON.parse(msg) as LogEvent;
      for (const l of set) l(event);
    });
  }

  append(deployId: string, text: string): void {
    for (const part of text.replace(/\r?\n$/, '').split(/\r?\n/)) {
      const kept = this.admit(deployId, part.length > MAX_LINE ? part.slice(0, MAX_LINE) + CUT_MARK : part);
      if (kept === null) continue;
      const line = this.store.deployLogs.append(deployId, kept);
      this.publish(deployId, { type: 'line', ...line });
    }
  }

  /** The line to store, the "truncated" line once the deploy's budget is spent, or null: dropped. */
  private admit(deployId: string, text: string): string | null {
    let b = this.budgets.get(deployId);
    if (!b) {
      const used = this.store.deployLogs.size(deployId);
      b = { ...used, cut: used.lines >= this.limits.lines || used.bytes >= this.limits.bytes, after: 0 };
      this.budgets.set(deployId, b);
    }
    const bytes = Buffer.byteLength(text);
    if (!b.cut && b.lines + 1 < this.limits.lines && b.bytes + bytes <= this.limits.bytes) {
      b.lines++;
      b.bytes += bytes;
      return text;
    }
    if (!b.cut) {
      b.cut = true;
      return `… truncated: this deploy's log reached its limit (${this.limits.lines} lines or ${Math.round(this.limits.bytes / 1024)} KiB); further output is not kept, minicloud's own lines are`;
    }
    if (OWN_LINE.test(text) && b.after < OWN_LINES_AFTER_CUT) {
      b.after++;
      return text;
    }
    return null;
  }

  end(deploy: Deploy): void {
    this.budgets.delete(deploy.id);
    this.store.deployLogs.prune(deploy.app, this.limits.keep);
    this.publish(deploy.id, this.endEvent(deploy));
    for (const l of this.enders) l(deploy);
  }

  /** Calls `listener` with every deploy this process ends, succeeded or failed (the alerts follow outcomes). */
  onEnd(listener: (deploy: Deploy) => void): void {
    this.enders.push(listener);
  }

  /** How a finished deploy ends its log: the app's URL when it succeeded. */
  private endEvent(deploy: Deploy): EndEvent {
    const succeeded = deploy.status === 'succeeded';
    return { type: 'end', status: succeeded ? 'succeeded' : 'failed', release: deploy.release, url: succeeded ? this.appUrl(deploy.app) : null, error: deploy.error };
  }

  private publish(deployId: string, e: LogEvent): void {
    this.pub.publish(channel(deployId), JSON.stringify(e)).catch(() => {});
  }

  /**
   * Yields stored lines after `afterSeq`, then live ones, until the deploy ends (or `signal` aborts).
   * Subscribes before reading the backlog so no line falls between the two; seq removes doubles.
   */
  async *follow(deployId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<LogEvent> {
    // Live events only wake the follower; the store is the one source of lines.
    let pending = false;
    let wake: (() => void) | null = null;
    const nudge = () => { pending = true; wake?.(); };
    const listener: Listener = nudge;
    const onAbort = nudge;
    await this.subscribe(deployId, listener);
    signal?.addEventListener('abort', onAbort);
    try {
      let last = afterSeq;
      for (const line of this.store.deployLogs.lines(deployId, afterSeq)) {
        last = line.seq;
        yield { type: 'line', ...line };
      }
      // Poll the store now and then too: a publish lost while Redis was away must not stall a follower.
      const poll = setInterval(nudge, 2000);
      try {
        while (!signal?.aborted) {
          const deploy = this.store.deploys.get(deployId);
          for (const line of this.store.deployLogs.lines(deployId, last)) {
            last = line.seq;
            yield { type: 'line', ...line };
          }
          if (!deploy || deploy.status === 'succeeded' || deploy.status === 'failed') {
            if (deploy) yield this.endEvent(deploy);
            return;
          }
          if (!pending) await new Promise<void>((resolve) => { wake = resolve; });
          pending = false;
          wake = null;
        }
      } finally {
        clearInterval(poll);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.unsubscribe(deployId, listener);
    }
  }

  private async subscribe(deployId: string, l: Listener): Promise<void> {
    const ch = channel(deployId);
    let set = this.listeners.get(ch);
    if (!set) {
      set = new Set();
      this.listeners.set(ch, set);
      // Waits briefly at most: with Redis away it would wait for its return; the store and the poll carry on meanwhile.
      const subscribed = this.sub.subscribe(ch).catch(() => {});
      await Promise.race([subscribed, new Promise((r) => setTimeout(r, 500).unref())]);
    }
    set.add(l);
  }

  private async unsubscribe(deployId: string, l: Listener): Promise<void> {
    const ch = channel(deployId);
    const set = this.listeners.get(ch);
    if (!set) return;
    set.delete(l);
    if (set.size === 0) {
      this.listeners.delete(ch);
      this.sub.unsubscribe(ch).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
