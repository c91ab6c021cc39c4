// The router daemon: the edge as its own long-lived process, configured by minicloud as kamal-proxy is by Kamal.
// It outlives minicloud: apps stay reachable (HTTPS, ACME answers, the access log too) while minicloud is stopped,
// killed or upgraded. It holds the ports (node:cluster, round-robin: the primary accepts and hands each connection on;
// its workers do), so its workers can be replaced one generation at a time without a refused connection.
// Usage: node dist/proxy/daemon/main.js <state dir>   (or node --import tsx proxy/daemon/main.ts)   (the dir holds settings.json, written by minicloud)
import cluster from 'node:cluster';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKOUT } from '../../src/core/checkout.ts';
import { AccessLog } from './access-log.ts';
import { answers, serveControl } from './control.ts';
import { Generations } from './generations.ts';
import { LazyStapler } from '../ocsp/lazy.ts';
import { TicketKeys } from './tickets.ts';
import { codeHash, readState, statePaths, writeState, PROTOCOL, type CertSet, type DaemonEvent, type DaemonSettings, type Route } from './protocol.ts';

const [dir, flag] = process.argv.slice(2);
if (!dir || (flag !== undefined && flag !== '--wait')) {
  console.error('usage: proxy/daemon/main.ts <state dir> [--wait]');
  process.exit(2);
}
const p = statePaths(dir);
// --wait (a container started before minicloud ever ran): the settings come when minicloud writes them.
if (flag === '--wait') while (!existsSync(p.settings)) await new Promise((r) => setTimeout(r, 500));
const settings = readState<DaemonSettings | null>(p.settings, null);
if (!settings) {
  console.error(`router: no settings in ${p.settings}`);
  process.exit(2);
}
const say = (s: string) => console.log(`${new Date().toISOString()} ${s}`);

let routes = readState<Route[]>(p.routes, []);
let certs = readState<CertSet | null>(p.certs, null);
let challenges: Record<string, string> = {};
const accessLog = new AccessLog(settings.logsDir);
let code = codeHash(CHECKOUT);
const startedAt = new Date().toISOString();

// minicloud's /events stream: at most one listener; wake requests made while it was away are told when it is back.
let listener: { send(e: DaemonEvent): void; end(): void } | null = null;
const wakesAsked = new Map<string, number>();
const emit = (e: DaemonEvent) => listener?.send(e);

// Made before the workers, which all start with the current keys; a rotation reaches them all at once.
const tickets = new TicketKeys((keys) => gens.broadcast({ t: 'tickets', keys: keys.toString('base64') }));
// OCSP answers for the certificates that name a responder: fetched here once, stapled by every worker.
const stapler = new LazyStapler({ dir: join(dir, 'ocsp'), say, changed: (staples) => gens.broadcast({ t: 'staples', staples }) });
const chains = (c: CertSet | null) => Object.fromEntries(Object.entries(c?.names ?? {}).map(([name, pem]) => [name, pem.certPem]));
const gens = new Generations({
  settings,
  state: () => ({ routes, certs, challenges, controlPlane: listener !== null, ticketKeys: tickets.current.toString('base64'), staples: stapler.staples() }),
  say,
  wake: (app) => {
    wakesAsked.set(app, Date.now());
    emit({ t: 'wake', app });
  },
  seen: (apps) => emit({ t: 'seen', apps }),
  log: (lines) => {
    for (const [app, line] of lines) if (app) accessLog.write(app, line);
    emit({ t: 'log', lines });
  },
});

// One daemon per directory: a second one started by mistake leaves at once, before it takes any port.
if (await answers(p.socket)) {
  console.error(`router: another daemon already answers on ${p.socket}`);
  process.exit(1);
}
// The kept OCSP answers first, so the workers start stapling them.
await stapler.track(chains(certs)).catch((e: unknown) => say(`router: OCSP stapling could not start: ${(e as Error).message}`));
// Workers listening first: the control socket answering is what tells minicloud the router is up.
try {
  await gens.roll();
} catch (e) {
  console.error(`router: could not start: ${(e as Error).message}`);
  gens.killAll();
  process.exit(1);
}

const control = await serveControl(p.socket, {
  status: () => ({ protocol: PROTOCOL, pid: process.pid, settings, code, workers: gens.size, workerPids: gens.pids(), controlPlane: listener !== null, startedAt }),
  routes: async (next) => {
    routes = next;
    writeState(p.routes, routes);
    await gens.routes(routes);
  },
  certs: (next) => {
    certs = next;
    writeState(p.certs, certs);
    gens.broadcast({ t: 'certs', certs });
    void stapler.track(chains(certs)).catch((e: unknown) => say(`router: OCSP stapling could not start: ${(e as Error).message}`));
  },
  challenges: (next) => {
    challenges = next;
    gens.broadcast({ t: 'challenges', challenges });
  },
  flush: async () => {
    await gens.flush();
    accessLog.flush();
  },
  restart: async () => {
    code = codeHash(CHECKOUT);
    await gens.roll();
  },
  stop: () => void stop('asked to stop'),
  subscribe: (l) => {
    listener?.end();
    listener = l;
    gens.broadcast({ t: 'control', up: true });
    const since = Date.now() - (settings.wakeTimeoutMs ?? 60_000);
    for (const [app, at] of wakesAsked) if (at >= since) l.send({ t: 'wake', app });
    wakesAsked.clear();
    return () => {
      if (listener !== l) return;
      listener = null;
      gens.broadcast({ t: 'control', up: false });
    };
  },
});

let stopping = false;
async function stop(why: string, drain = true): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`router: stopping (${why})`);
  await control.close();
  stapler.stop();
  if (drain) await gens.stopAll();
  else gens.killAll();
  accessLog.close();
  rmSync(p.pid, { force: true });
  process.exit(0);
}

writeFileSync(p.pid, `${process.pid}\n`, { mode: 0o600 });
say(`router: serving on port ${settings.port}${settings.httpsPort !== null ? ` and ${settings.httpsPort} (HTTPS)` : ''} with ${settings.workers} worker(s), pid ${process.pid}`);
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// Its directory removed (minicloud's data dir deleted, a test's temporary one): nobody can configure it any more.
setInterval(() => { if (!existsSync(p.settings)) void stop('its directory is gone', false); }, 2000).unref();
if (cluster.isPrimary) process.title = 'minicloud-router';
