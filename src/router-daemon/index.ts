// The router daemon's client: starts proxy/daemon (or finds it running) and keeps it in step with minicloud's route table, certificates and ACME tokens.
import { UserError, type RouterDaemonReport } from '../core/index.ts';
import type { RouteTable } from '../routes/index.ts';
import { statePaths, type CertSet, type DaemonEvent } from '../../proxy/daemon/protocol.ts';
import { ControlClient, latestWins } from './control-client.ts';
import { ensureRouterDaemon, exited } from './start-daemon.ts';
import { watchDaemon } from './watchdog.ts';

export { ControlClient } from './control-client.ts';
export { RouterLink } from './link.ts';
export type { RouterDaemon, RouterDaemonOptions } from './types.ts';
import type { RouterDaemon, RouterDaemonOptions } from './types.ts';
export type { DaemonSettings } from '../../proxy/daemon/protocol.ts';

export async function connectRouterDaemon(o: RouterDaemonOptions): Promise<RouterDaemon> {
  const { client, status: first, started } = await ensureRouterDaemon({
    dir: o.dir, settings: o.settings, routes: o.table.routes(), certs: o.certs?.() ?? null, say: o.say, external: o.external,
  });
  o.say(started ? `Router: started (pid ${first.pid})` : `Router: already serving (pid ${first.pid}, since ${first.startedAt})`);
  let failing = false;
  const warn = (e: unknown) => {
    if (!failing) o.say(`Router: cannot reach the router daemon (${(e as Error).message}); trying again every second`);
    failing = true;
  };
  const ok = <T>(p: Promise<T>) => p.then((v) => ((failing = false), v));
  const pushRoutes = latestWins((routes: ReturnType<RouteTable['routes']>) => ok(client.routes(routes)), warn);
  const pushCerts = latestWins((certs: CertSet) => ok(client.certs(certs)), warn);
  const unsubscribe = o.table.subscribe(pushRoutes.push);
  const onEvent = (e: DaemonEvent) => {
    if (e.t === 'wake') o.wake(e.app);
    else if (e.t === 'seen') for (const app of e.apps) o.seen(app);
    else if (e.t === 'log') for (const [app, line] of e.lines) if (app) o.line(app, line);
  };
  // On every (re)connection the daemon gets the whole state again: it may have missed pushes while away.
  let tokens: Record<string, string> = {};
  const events = client.listen(onEvent, async () => {
    await ok(client.routes(o.table.routes()));
    if (o.certs) await ok(client.certs(o.certs()));
    if (Object.keys(tokens).length) await ok(client.challenges(tokens));
  });
  const watchdog = watchDaemon(o, client);
  const status = async (): Promise<RouterDaemonReport> => {
    const s = await client.status();
    if (!s) throw new UserError('the router daemon does not answer', `see ${o.dir}/router.log; restarting minicloud starts a new one`);
    return { pid: s.pid, workers: s.workers, workerPids: s.workerPids, startedAt: s.startedAt, code: s.code, controlPlane: s.controlPlane, port: s.settings.port, httpsPort: s.settings.httpsPort };
  };
  return {
    port: o.settings.port, httpsPort: o.settings.httpsPort, pid: first.pid,
    certsChanged: () => { if (o.certs) pushCerts.push(o.certs()); },
    // Bounded: with the daemon away, callers go on after two seconds (it gets the table when it is back).
    settled: () => Promise.race([pushRoutes.idle(), new Promise<void>((r) => setTimeout(r, 2000).unref())]),
    challenges: (map) => client.challenges((tokens = map)),
    flush: () => client.flush().catch(() => {}),
    status,
    restart: async () => { await client.restart(); return status(); },
    close: () => { unsubscribe(); events.close(); watchdog.close(); },
  };
}

/** Stops the daemon of `dir` (it drains first) and waits for it to exit; its pid, or null when none answered. */
export async function stopRouterDaemon(dir: string, waitMs = 90_000): Promise<number | null> {
  const client = new ControlClient(statePaths(dir).socket);
  const status = await client.status();
  if (!status) return null;
  await client.stop();
  if (await exited(status.pid, waitMs)) return status.pid;
  throw new UserError(`the router daemon (pid ${status.pid}) did not exit within ${waitMs / 1000} s`, `kill ${status.pid}`);
}
