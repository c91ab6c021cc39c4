// Active health: a TCP connect to every instance of every route each second. One that cannot be reached goes out of
// rotation at once (a node that died outright answers no request, and minicloud learns of it only later); one out of
// rotation (by a probe, or by a request's failed connect, retry.ts) comes back when a probe reaches it again.
import net from 'node:net';
import { upstreamKey, type RouteTable, type Upstream } from '../../src/routes/index.ts';

export interface ProbeOptions {
  /** How often every instance is probed (ms); default 1,000. */
  everyMs?: number;
  /** How long a probe's connect may take (ms); default 2,000 (a lost SYN is sent again after 1 s). */
  timeoutMs?: number;
}

export interface Prober {
  close(): void;
}

export function startProber(table: RouteTable, o: ProbeOptions = {}): Prober {
  const timeoutMs = o.timeoutMs ?? 2000;
  const pending = new Set<string>();
  const sockets = new Set<net.Socket>();
  const probe = (u: Upstream) => {
    const k = upstreamKey(u);
    if (pending.has(k)) return; // a slow one still under way: its answer is the news
    pending.add(k);
    const s = net.connect({ host: u.host, port: u.port });
    sockets.add(s);
    let over = false;
    const done = (why: string | null) => {
      if (over) return;
      over = true;
      pending.delete(k);
      sockets.delete(s);
      // Closed, not reset: an app's server may not expect a reset (a raw socket without an error handler throws).
      // Its TIME_WAIT stays on the router's side, about 60 per instance and worker: each instance is its own
      // address and port, with the whole ephemeral range to itself.
      s.destroy();
      if (why === null) table.cleared(u);
      else table.suspect(u, why);
    };
    // Timers run before I/O in each turn of the loop: after a turn that took long (a loaded router), the timer may
    // fire before a connect already made is heard of. The verdict waits for that I/O (setImmediate runs after it).
    s.setTimeout(timeoutMs, () => setImmediate(() => done(`no connect within ${timeoutMs} ms`)));
    s.once('connect', () => done(null));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  };
  const tick = () => {
    const seen = new Set<string>();
    for (const r of table.routes()) {
      for (const u of r.upstreams) {
        const k = upstreamKey(u);
        if (!seen.has(k)) seen.add(k), probe(u);
      }
    }
  };
  const timer = setInterval(tick, o.everyMs ?? 1000);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}
