// Whether minicloud's Redis answers right now, and why not: calls that need it answer 503 at once instead of waiting for it.
import { EventEmitter } from 'node:events';
import { Queue, type ConnectionOptions } from 'bullmq';
import { UserError } from '../core/index.ts';

/** How long a call waits on Redis before it is answered 503 (its client may not have noticed yet that Redis is gone). */
export const REDIS_DEADLINE_MS = 1500;
/** While the connection stays up, a slow answer (a busy machine, a blocked event loop) gets this long in all. */
const CONNECTED_DEADLINE_MS = 5000;
/** ioredis's and the socket's words for a command that never reached Redis. */
const CONNECTION_LOST = /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE/;

export class QueueUnavailableError extends UserError {
  constructor(reason: string, where = 'Redis') {
    super(`minicloud's job queue (${where}) is not answering: ${reason}`,
      'deploys, config changes and restarts need it; running apps are not affected. Start Redis again (or check REDIS_URL) and retry', 503);
    this.name = 'QueueUnavailableError';
  }
}

/** Emits `back` each time Redis answers again after being away. */
export class RedisWatch extends EventEmitter<{ back: [] }> {
  private up = false;
  /** Known to be away (a failed connect, a closed connection); not while first connecting. */
  private gone = false;
  private reason = 'not connected yet';
  private readonly probe: Queue;
  /** `Redis at 127.0.0.1:6379` (or its socket): no credentials. */
  private readonly where: string;

  constructor(connection: ConnectionOptions, prefix: string) {
    super();
    const c = connection as { host?: string; port?: number; path?: string };
    this.where = `Redis at ${c.path ?? `${c.host ?? '127.0.0.1'}:${c.port ?? 6379}`}`;
    // A queue object of its own, never written to: only its connection's state is read.
    this.probe = new Queue('redis-watch', { connection, prefix });
    this.probe.on('error', (e: Error) => {
      this.reason = e.message || String(e);
      if (!this.up) this.gone = true;
    });
    const backend = this.probe.getBackend();
    backend.on('ready', () => this.markUp());
    backend.on('close', () => this.down('the connection closed'));
    this.probe.waitUntilReady().then(() => this.markUp(), () => {});
  }

  /** Answering right now. */
  get available(): boolean {
    return this.up;
  }

  /** Known to be away (false while the first connection is still being made). */
  get away(): boolean {
    return this.gone;
  }

  /** Why Redis is not answering (or `answering`). */
  get why(): string {
    return this.reason;
  }

  /** Throws the 503 when Redis is known to be away. */
  check(): void {
    if (this.gone) throw new QueueUnavailableError(this.reason, this.where);
  }

  /**
   * `p`, or the 503 if Redis does not answer within 1.5 s, or 5 s while its connection stays up (the command may
   * still land later).
   */
  async within<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const started = Date.now();
    const late = new Promise<never>((_, reject) => {
      const check = () => {
        const waited = Date.now() - started;
        if (this.up && waited < CONNECTED_DEADLINE_MS) timer = setTimeout(check, CONNECTED_DEADLINE_MS - waited);
        else reject(new QueueUnavailableError(this.up ? `no answer within ${Math.round(waited / 100) / 10} s` : this.reason, this.where));
      };
      timer = setTimeout(check, REDIS_DEADLINE_MS);
    });
    const failed = p.catch((e: unknown) => {
      // Refused for want of a connection (this call's may know before the watch's own does): the 503.
      const lost = CONNECTION_LOST.test((e as Error)?.message ?? '');
      throw this.up && !lost ? e : new QueueUnavailableError(this.up ? 'the connection was lost' : this.reason, this.where);
    });
    try {
      return await Promise.race([failed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.race([this.probe.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  private markUp(): void {
    const wasDown = !this.up;
    this.up = true;
    this.gone = false;
    this.reason = 'answering';
    if (wasDown) this.emit('back');
  }

  private down(why: string): void {
    if (this.up) this.reason = why;
    this.up = false;
    this.gone = true;
  }
}
