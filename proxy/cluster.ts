// The router as N worker processes sharing one port (node:cluster): routes pushed to them, their callbacks batched back.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Route, Upstream } from '../src/routes/index.ts';
import { startRouter, type Router, type RouterOptions } from './index.ts';
import { parseTrustedProxies } from './edge/trust.ts';

/** What a worker needs to start its router: RouterOptions without the table and the callbacks. */
export interface WorkerSettings {
  port: number;
  host?: string;
  domain: string;
  timeoutMs?: number;
  wakeTimeoutMs?: number;
  startingHoldMs?: number;
  trustedProxies?: string;
  httpsPort?: number;
  upstreamConnections?: number;
  challengeVia?: Upstream;
  /** Whether access-log lines are wanted (sent back in batches). */
  log: boolean;
}

export type ToWorker = { t: 'start'; settings: WorkerSettings; routes: Route[] } | { t: 'routes'; routes: Route[] } | { t: 'stop' };
export type ToPrimary =
  | { t: 'hello' }
  | { t: 'ready'; port: number }
  | { t: 'failed'; error: string }
  | { t: 'wake'; app: string }
  | { t: 'seen'; apps: string[] }
  | { t: 'log'; lines: Array<[string | null, string]> };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
// A young generation big enough that a request's garbage dies there: about a quarter less CPU per
// request than V8's default on a busy router; and GC on the main thread, whose helper threads would
// only compete with the other workers for the cores (measured with test/bench/router.bench.ts).
// MINICLOUD_ROUTER_NODE_FLAGS replaces them (space separated), for tuning.
export const ROUTER_NODE_FLAGS = process.env.MINICLOUD_ROUTER_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=64', '--single-threaded-gc'];

/**
 * Starts `workers` router processes on one port (the primary accepts and hands connections out
 * round-robin). The table stays in this process: every replace() is sent to each worker. A worker
 * that dies is replaced. Resolves once all listen; rejects (stopping them) if one cannot.
 */
export async function startRouterCluster(opts: RouterOptions & { workers: number }): Promise<Router> {
  if (opts.trustedProxies) parseTrustedProxies(opts.trustedProxies); // a bad value fails here, not in N workers
  // HTTPS stays in this process, in a router of its own: certificates and ACME tokens live here
  // (SNI asks a callback per handshake). Its plain listener (a spare port) answers the workers'
  // HTTP-01 requests.
  const side = opts.https || opts.challenge ? await startRouter({ ...opts, port: 0 }) : null;
  const sideHost = !opts.host || opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const settings: WorkerSettings = {
    port: opts.port, host: opts.host, domain: opts.domain, timeoutMs: opts.timeoutMs, wakeTimeoutMs: opts.wakeTimeoutMs,
    startingHoldMs: opts.startingHoldMs, trustedProxies: opts.trustedProxies, httpsPort: opts.httpsPort,
    upstreamConnections: opts.upstreamConnections, log: opts.log !== undefined,
    challengeVia: side && opts.challenge ? { host: sideHost, port: side.port } : undefined,
  };
  cluster.setupPrimary({ exec: WORKER, execArgv: ['--import', 'tsx', ...ROUTER_NODE_FLAGS], cwd: ROOT, silent: false });
  const workers = new Set<Worker>();
  let closing = false;
  let port = opts.port;

  const call = (fn: ((app: string) => void) | undefined, app: string) => {
    try {
      const r = fn?.(app) as unknown;
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // minicloud's hooks must not take the router down
    }
  };
  const onMessage = (m: ToPrimary) => {
    if (m.t === 'wake') call(opts.wake, m.app);
    else if (m.t === 'seen') for (const app of m.apps) call(opts.onRequest, app);
    else if (m.t === 'log') {
      for (const [app, line] of m.lines) {
        try { opts.log?.(line, app); } catch { /* a broken logger must not take the router down */ }
      }
    }
  };

  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ MINICLOUD_ROUTER_WORKER: '1' });
      workers.add(w);
      w.on('message', (m: ToPrimary) => {
        // Every worker asks for the same address and port (0 too): the primary shares one socket for it.
        if (m.t === 'hello') return void w.send({ t: 'start', settings, routes: opts.table.routes() } satisfies ToWorker);
        if (m.t === 'ready') return void ((port = m.port), resolve());
        if (m.t === 'failed') return reject(new Error(m.error));
        onMessage(m);
      });
      w.on('error', () => {}); // e.g. a send to a worker that just died: its 'exit' handles it
      w.once('exit', (code) => {
        workers.delete(w);
        reject(new Error(`router worker exited (code ${code}) before it listened`));
        // Replaced after a pause, so a worker that cannot start does not spin.
        if (!closing) setTimeout(() => void (closing || fork().catch((e: unknown) => console.error('router: could not replace a worker:', e))), 1000).unref();
      });
    });

  const unsubscribe = opts.table.subscribe((routes) => {
    for (const w of workers) if (w.isConnected()) w.send({ t: 'routes', routes } satisfies ToWorker);
  });
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    unsubscribe();
    await side?.close();
    await Promise.all([...workers].map((w) => new Promise<void>((resolve) => {
      const kill = setTimeout(() => w.process.kill('SIGKILL'), 5000);
      w.once('exit', () => (clearTimeout(kill), resolve()));
      if (w.isConnected()) w.send({ t: 'stop' } satisfies ToWorker);
      else w.process.kill('SIGTERM');
    })));
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.workers) }, fork));
  } catch (e) {
    await close();
    throw e;
  }
  return { get port() { return port; }, httpsPort: side?.httpsPort ?? null, close };
}
