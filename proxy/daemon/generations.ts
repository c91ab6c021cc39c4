// The daemon's router workers, one generation at a time: a new generation listens before the old one drains,
// so a restart (new code from disk, say) never refuses a connection. A worker that dies is replaced.
import cluster, { type Worker } from 'node:cluster';
import { CHECKOUT, entryPoint } from '../../src/core/checkout.ts';
import type { Staples } from '../ocsp/stapler.ts';
import type { CertSet, DaemonSettings, Route } from './protocol.ts';
import type { ToPrimary, ToWorker } from './worker.ts';

/**
 * How connections reach workers. With several, round-robin (node:cluster's default on Linux): the primary accepts
 * each connection and hands it to a worker in turn, so they share the load evenly (with SCHED_NONE the kernel gave
 * one worker most of a burst of new connections: 2 workers did no better than 1). But a hand-off is a round trip over
 * IPC, one connection at a time per worker, so a burst of a thousand new connections waited on it, some for seconds
 * (the bench's 1,000 connections). With one worker there is nothing to share out: it accepts from the listening
 * socket itself (SCHED_NONE), which the primary keeps open, so a connection arriving while a generation is replaced
 * waits in the kernel's queue for the new worker instead of being refused. Set before the first fork (cluster freezes it).
 */
function schedule(workers: number): void {
  cluster.schedulingPolicy = workers === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
}

// The worker of the build on disk now (dist/, rebuilt by the last start when the sources changed), or its source under tsx.
const WORKER = entryPoint('proxy/daemon/worker.ts');
// A young generation big enough that a request's garbage dies there: about a quarter less CPU per
// request than V8's default on a busy router; and GC on the main thread, whose helper threads would
// only compete with the other workers for the cores (measured with test/bench/router.bench.ts).
// MINICLOUD_ROUTER_NODE_FLAGS replaces them (space separated), for tuning.
export const ROUTER_NODE_FLAGS = process.env.MINICLOUD_ROUTER_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=64', '--single-threaded-gc'];

export interface GenerationsOptions {
  settings: DaemonSettings;
  /** What a new worker starts with: the latest of each. */
  state: () => { routes: Route[]; certs: CertSet | null; challenges: Record<string, string>; controlPlane: boolean; ticketKeys: string; staples: Staples };
  say: (line: string) => void;
  wake: (app: string) => void;
  seen: (apps: string[]) => void;
  log: (lines: Array<[string | null, string]>) => void;
}

export class Generations {
  private current = new Set<Worker>();
  private retiring = new Set<Worker>();
  private flushes = new Set<() => void>();
  private seq = 0;
  private acks = new Map<Worker, number>();
  private ackWaiters = new Set<() => void>();
  private closing = false;
  private rolling: Promise<void> | null = null;

  constructor(private readonly o: GenerationsOptions) {
    schedule(o.settings.workers);
    cluster.setupPrimary({ exec: WORKER.file, execArgv: [...WORKER.execArgv, ...ROUTER_NODE_FLAGS], cwd: CHECKOUT, silent: false });
  }

  get size(): number {
    return this.current.size;
  }

  pids(): number[] {
    return [...this.current].map((w) => w.process.pid!).filter(Boolean);
  }

  /** Starts a full new generation and, once all of it listens, drains the old one. Rejects (old one kept) if one cannot start. */
  roll(): Promise<void> {
    const run = async () => {
      const old = [...this.current];
      const fresh = await Promise.allSettled(Array.from({ length: this.o.settings.workers }, () => this.fork()));
      const failed = fresh.find((r) => r.status === 'rejected');
      if (failed) {
        for (const r of fresh) if (r.status === 'fulfilled') this.retire(r.value);
        throw (failed as PromiseRejectedResult).reason;
      }
      for (const r of fresh) this.current.add((r as PromiseFulfilledResult<Worker>).value);
      await Promise.all(old.map((w) => this.retire(w)));
    };
    // One roll at a time; a second ask waits for the first and then rolls again (it may carry newer code).
    const next = (this.rolling ?? Promise.resolve()).catch(() => {}).then(run);
    this.rolling = next.finally(() => { if (this.rolling === next) this.rolling = null; });
    return next;
  }

  broadcast(m: ToWorker): void {
    for (const w of [...this.current, ...this.retiring]) if (w.isConnected()) w.send(m);
  }

  /** Sends a new table to every worker; resolves once each has it (or after a second: one stuck worker must not hold minicloud). */
  routes(routes: Route[]): Promise<void> {
    const seq = ++this.seq;
    this.broadcast({ t: 'routes', routes, seq });
    const applied = () => [...this.current, ...this.retiring].every((w) => !w.isConnected() || (this.acks.get(w) ?? 0) >= seq);
    return new Promise((resolve) => {
      const check = () => { if (applied()) done(); };
      const done = () => (this.ackWaiters.delete(check), clearTimeout(t), resolve());
      const t = setTimeout(done, 1000);
      this.ackWaiters.add(check);
      check();
    });
  }

  /** Asks every worker to send its batched lines now; resolves when they did (or after 500 ms). */
  flush(): Promise<void> {
    const workers = [...this.current, ...this.retiring].filter((w) => w.isConnected());
    return new Promise((resolve) => {
      let left = workers.length;
      const done = () => void (--left <= 0 && (this.flushes.delete(done), clearTimeout(t), resolve()));
      const t = setTimeout(() => (this.flushes.delete(done), resolve()), 500);
      if (left === 0) return done();
      this.flushes.add(done);
      this.broadcast({ t: 'flush' });
    });
  }

  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.current].map((w) => this.retire(w)));
  }

  killAll(): void {
    this.closing = true;
    for (const w of [...this.current, ...this.retiring]) w.process.kill('SIGKILL');
  }

  /** Drains a worker (it stops accepting, finishes what it serves) and resolves when it exited. */
  private retire(w: Worker): Promise<void> {
    this.current.delete(w);
    this.retiring.add(w);
    return new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      const kill = setTimeout(() => w.process.kill('SIGKILL'), this.o.settings.drainMs + 5000);
      w.once('exit', () => (clearTimeout(kill), this.retiring.delete(w), resolve()));
      if (w.isConnected()) w.send({ t: 'drain' } satisfies ToWorker);
      else w.process.kill('SIGTERM');
    });
  }

  private fork(): Promise<Worker> {
    return new Promise((resolve, reject) => {
      const w = cluster.fork({ MINICLOUD_ROUTER_WORKER: '1' });
      let ready = false;
      w.on('message', (m: ToPrimary) => {
        if (m.t === 'hello') {
          const s = this.o.state();
          return void w.send({ t: 'start', settings: this.o.settings, ...s } satisfies ToWorker);
        }
        if (m.t === 'ready') return void ((ready = true), resolve(w));
        if (m.t === 'failed') return reject(new Error(m.error));
        if (m.t === 'flushed') return void [...this.flushes].forEach((f) => { f(); });
        if (m.t === 'applied') return void (this.acks.set(w, m.seq), [...this.ackWaiters].forEach((f) => { f(); }));
        try {
          if (m.t === 'wake') this.o.wake(m.app);
          else if (m.t === 'seen') this.o.seen(m.apps);
          else if (m.t === 'log') this.o.log(m.lines);
        } catch (e) {
          this.o.say(`router: ${(e as Error).message}`);
        }
      });
      w.on('error', () => {}); // a send to a worker that just died: its 'exit' handles it
      w.once('exit', (code, signal) => {
        this.acks.delete(w);
        for (const f of [...this.ackWaiters]) f();
        const wasCurrent = this.current.delete(w);
        this.retiring.delete(w);
        if (!ready) return reject(new Error(`a router worker exited (${signal ?? `code ${code}`}) before it listened`));
        if (!wasCurrent || this.closing) return;
        this.o.say(`router: a worker exited (${signal ?? `code ${code}`}); starting another`);
        // Replaced after a pause, so a worker that cannot start does not spin.
        setTimeout(() => {
          if (this.closing) return;
          this.fork().then((n) => this.current.add(n), (e: unknown) => this.o.say(`router: could not replace a worker: ${(e as Error).message}`));
        }, 500).unref();
      });
    });
  }
}
