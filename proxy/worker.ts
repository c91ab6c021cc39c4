// One router worker process (MINICLOUD_ROUTER_WORKERS > 1): serves the shared port with the route table the primary sends.
import { RouteTable, type Route } from '../src/routes/index.ts';
import { startRouter, type Router } from './index.ts';
import type { ToPrimary, ToWorker, WorkerSettings } from './cluster.ts';

const send = (m: ToPrimary) => process.send?.(m);
const table = new RouteTable();
let router: Router | null = null;

// Callbacks go to the primary in batches: one IPC message per tick of traffic, not per request.
const FLUSH_MS = 50;
let lines: Array<[string | null, string]> = [];
let seen = new Set<string>();
let timer: NodeJS.Timeout | null = null;
const flush = () => {
  timer = null;
  if (lines.length) send({ t: 'log', lines });
  if (seen.size) send({ t: 'seen', apps: [...seen] });
  lines = [];
  seen = new Set();
};
const later = () => void (timer ??= setTimeout(flush, FLUSH_MS));

async function start(s: WorkerSettings, routes: Route[]): Promise<void> {
  table.replace(routes);
  router = await startRouter({
    ...s,
    table,
    wake: (app) => send({ t: 'wake', app }),
    onRequest: (app) => void (seen.add(app), later()),
    log: s.log ? (line, app) => void (lines.push([app, line]), lines.length >= 500 ? flush() : later()) : undefined,
  });
  send({ t: 'ready', port: router.port });
}

process.on('message', (m: ToWorker) => {
  if (m.t === 'routes') table.replace(m.routes);
  else if (m.t === 'start') start(m.settings, m.routes).catch((e: unknown) => send({ t: 'failed', error: String((e as Error)?.message ?? e) }));
  else if (m.t === 'stop') void stop();
});

async function stop(): Promise<void> {
  if (timer) clearTimeout(timer);
  flush();
  await router?.close();
  process.disconnect?.();
  process.exit(0);
}
// Messages that arrive before a listener exists are lost: say when there is one.
send({ t: 'hello' });
// The primary went away (crashed, or killed without a stop): so do we.
process.on('disconnect', () => process.exit(0));
