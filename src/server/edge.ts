// The edge: the router serving apps on the HTTP and HTTPS ports (proxy/), started as one part and stopped as one.
import type { Certificates } from '../certs/index.ts';
import type { AccessLog } from '../log/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Sleeper } from '../pipeline/index.ts';
import type { RouteTable } from '../routes/index.ts';
import { startRouter, type RouterOptions } from '../../proxy/index.ts';
import { startRouterCluster } from '../../proxy/cluster.ts';
import type { Config } from './config.ts';
import { routerHttps } from './https.ts';

export interface Edge {
  /** The bound HTTP port, and the HTTPS one (null with HTTPS off). */
  port: number;
  httpsPort: number | null;
  close(): Promise<void>;
}

export interface EdgeDeps {
  cfg: Config;
  table: RouteTable;
  certs: Certificates;
  sleeper: Sleeper;
  accessLog: AccessLog;
  metrics: Metrics;
}

/** Serves the route table; MINICLOUD_ROUTER_WORKERS > 1: that many router processes share the port (proxy/cluster.ts). */
export async function startEdge(d: EdgeDeps): Promise<Edge> {
  const { cfg, sleeper, accessLog, metrics } = d;
  const options: RouterOptions = {
    ...routerHttps(cfg, d.certs), // first: options written below win
    trustedProxies: cfg.trustedProxies,
    port: cfg.httpPort, host: cfg.routerBind, table: d.table, domain: cfg.domain, wakeTimeoutMs: cfg.wakeTimeoutMs,
    wake: (app) => void sleeper.wake(app),
    onRequest: (app) => sleeper.touch(app),
    log: (line, app) => { if (app) { accessLog.write(app, line); metrics.observeLine(app, line); } },
  };
  return cfg.routerWorkers > 1 ? startRouterCluster({ ...options, workers: cfg.routerWorkers }) : startRouter(options);
}
