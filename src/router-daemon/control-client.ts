// minicloud's side of the router daemon's control socket: status, pushes (latest wins), and the /events stream.
import http from 'node:http';
import type { CertSet, DaemonEvent, DaemonStatus, Route } from '../../proxy/daemon/protocol.ts';

export class ControlClient {
  constructor(readonly socket: string) {}

  /** The daemon's status, or null when nothing answers within `timeoutMs`. */
  async status(timeoutMs = 2000): Promise<DaemonStatus | null> {
    try {
      const r = await this.call('GET', '/status', undefined, timeoutMs);
      return r.status === 200 ? (JSON.parse(r.body) as DaemonStatus) : null;
    } catch {
      return null;
    }
  }

  routes(routes: Route[]): Promise<void> { return this.must('PUT', '/routes', routes); }
  certs(certs: CertSet): Promise<void> { return this.must('PUT', '/certs', certs); }
  challenges(map: Record<string, string>): Promise<void> { return this.must('PUT', '/challenges', map); }
  flush(): Promise<void> { return this.must('POST', '/flush', undefined, 2000); }
  /** A new generation of router workers (the code on disk now), the old one drained: no request fails. */
  restart(): Promise<void> { return this.must('POST', '/restart', undefined, 120_000); }
  stop(): Promise<void> { return this.must('POST', '/stop'); }

  /**
   * Listens to the daemon's events, reconnecting (every second) while it is away; `onConnect` runs on every
   * (re)connection, before events flow, so the daemon can be given the whole state again.
   */
  listen(onEvent: (e: DaemonEvent) => void, onConnect: () => Promise<void>): { close(): void } {
    let closed = false;
    let req: http.ClientRequest | null = null;
    const again = () => { if (!closed) setTimeout(connect, 1000).unref(); };
    const connect = () => {
      if (closed) return;
      void onConnect().then(() => {
        if (closed) return;
        let answered = false;
        req = http.request({ socketPath: this.socket, method: 'GET', path: '/events' }, (res) => {
          answered = true;
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              try { onEvent(JSON.parse(line) as DaemonEvent); } catch { /* one bad line or handler error: the stream goes on */ }
            }
          });
          res.on('close', again);
        });
        req.on('error', () => {}); // 'close' follows and reconnects
        req.on('close', () => { if (!answered) again(); });
        req.end();
      }, again);
    };
    connect();
    return { close: () => void ((closed = true), req?.destroy()) };
  }

  private async must(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<void> {
    const r = await this.call(method, path, body, timeoutMs);
    if (r.status >= 300) throw new Error(`router daemon: ${method} ${path}: ${r.status} ${r.body}`);
  }

  private call(method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const req = http.request({ socketPath: this.socket, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, timeout: timeoutMs }, (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (out += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      });
      req.on('timeout', () => req.destroy(new Error(`router daemon: ${method} ${path} took over ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(text);
    });
  }
}

/** Pushes the latest value, one call at a time; a failed push is tried again a second later (the daemon may be restarting). */
export function latestWins<T>(push: (v: T) => Promise<void>, onError: (e: unknown) => void): { push(v: T): void; idle(): Promise<void> } {
  let pending: { v: T } | null = null;
  let busy = false;
  const idlers: Array<() => void> = [];
  const run = async () => {
    if (busy) return;
    busy = true;
    while (pending) {
      const { v } = pending;
      pending = null;
      try {
        await push(v);
      } catch (e) {
        onError(e);
        pending ??= { v };
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
    busy = false;
    for (const f of idlers.splice(0)) f();
  };
  return {
    push: (v) => {
      pending = { v };
      void run();
    },
    /** Resolves when every value given so far has been pushed. */
    idle: () => (busy || pending ? new Promise<void>((r) => idlers.push(r)) : Promise.resolve()),
  };
}
