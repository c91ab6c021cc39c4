// The router daemon gone (a crash, a kill -9): minicloud starts another, which gets the whole state when the
// events stream reconnects. An external daemon is left to what starts it (the installer's container restarts it).
import { ensureRouterDaemon } from './start-daemon.ts';
import type { ControlClient } from './control-client.ts';
import type { RouterDaemonOptions } from './types.ts';

const CHECK_MS = 2000;

export function watchDaemon(o: RouterDaemonOptions, client: ControlClient): { close(): void } {
  if (o.external) return { close: () => {} };
  let misses = 0;
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      // Twice in a row, so that one slow answer on a loaded machine does not count as gone.
      misses = (await client.status(1500)) ? 0 : misses + 1;
      if (misses < 2) return;
      const { status, started } = await ensureRouterDaemon({
        dir: o.dir, settings: o.settings, routes: o.table.routes(), certs: o.certs?.() ?? null, say: o.say,
      });
      misses = 0;
      if (started) o.say(`Router: the router daemon was gone; started another (pid ${status.pid})`);
    } catch (e) {
      o.say(`Router: the router daemon is gone and could not be started again: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), CHECK_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
