// The edge: the router daemon (proxy/daemon) serving apps on the HTTP and HTTPS ports, found running or started,
// and bound to the link the other parts reach it through. Stopping minicloud leaves it serving.
import { join } from 'node:path';
import type { Metrics } from '../metrics/index.ts';
import type { Sleeper } from '../processes/index.ts';
import type { RouteTable } from '../routes/index.ts';
import { connectRouterDaemon, type RouterDaemon, type RouterLink } from '../router-daemon/index.ts';
import type { Certificates } from '../certs/index.ts';
import type { Config, Paths } from './config.ts';

export type Edge = RouterDaemon;

export interface EdgeDeps {
  cfg: Config;
  p: Paths;
  table: RouteTable;
  certs: Certificates;
  sleeper: Sleeper;
  metrics: Metrics;
  link: RouterLink;
  say: (line: string) => void;
}

export async function startEdge(d: EdgeDeps): Promise<Edge> {
  const { cfg } = d;
  const edge = await connectRouterDaemon({
    dir: join(cfg.dataDir, 'router'), table: d.table, say: d.say, external: cfg.routerMode === 'external',
    settings: {
      port: cfg.httpPort, host: cfg.routerBind, domain: cfg.domain, httpsPort: cfg.https.port, wakeTimeoutMs: cfg.wakeTimeoutMs,
      trustedProxies: cfg.trustedProxies || undefined, workers: cfg.routerWorkers, logsDir: d.p.logs, drainMs: cfg.routerDrainMs,
    },
    certs: cfg.https.port === null ? null : () => d.certs.pems(),
    wake: (app) => void d.sleeper.wake(app),
    seen: (app) => d.sleeper.touch(app),
    line: (app, line) => d.metrics.observeLine(app, line),
  });
  d.link.bind(edge);
  return edge;
}
