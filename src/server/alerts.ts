// Wiring the alerts: made before the parts whose facts they announce, subscribed to each where it is made (the deploy
// log's end, the formation's crashes and failed checks, certificate orders, backups, the add-on check).
import type { Logger } from '../core/index.ts';
import { Alerts } from '../alerts/index.ts';
import type { OrderOutcome } from '../certs/index.ts';
import type { Formation } from '../processes/index.ts';
import { adminUrl } from './admin-edge.ts';
import type { Base } from './base.ts';
import type { Config } from './config.ts';
import type { Lifecycle } from './lifecycle.ts';

/** Where people read a deploy's full log: its page in the dashboard, through the admin edge. */
function logUrl(cfg: Config): (app: string, deployId: string) => string {
  const base = adminUrl(cfg, cfg.https.port) ?? `http://admin.${cfg.domain}${cfg.httpPort === 80 ? '' : `:${cfg.httpPort}`}`;
  return (app, id) => `${base}/dashboard#/apps/${encodeURIComponent(app)}/deploys/${encodeURIComponent(id)}`;
}

export function makeAlerts(cfg: Config, { store, deployLog }: Base, log: Logger, life: Lifecycle): Alerts {
  const alerts = new Alerts({ store, settings: cfg.alerts, log, dataDir: cfg.dataDir, logUrl: logUrl(cfg) });
  // Deliveries under way are let finish (each bounded by MINICLOUD_ALERT_TIMEOUT) before the store closes.
  life.add('alerts', () => alerts.stop());
  deployLog.onEnd((d) => alerts.sources.deployEnded(d));
  return alerts;
}

export function watchFormation(alerts: Alerts, formation: Formation, cfg: Config): void {
  formation.on('crash', (inst, code, delayMs, cause) => alerts.processes.crashed(inst.app, inst.type, code, delayMs, cause));
  formation.on('unhealthy', (inst, reason) => alerts.processes.unhealthy(inst.app, inst.type, reason, cfg.healthFailures));
}

/** What the certificates tell the alerts: each order's outcome, and each custom certificate's expiry. */
export function certAlerts(alerts: Alerts): { onOrder: (o: OrderOutcome) => void; onCustomExpiry: (e: { domain: string; app: string; notAfter: string; expiring: boolean }) => void } {
  return { onOrder: certOrdered(alerts), onCustomExpiry: (e) => alerts.sources.customCertExpiry(e) };
}

/** A certificate order's outcome as the alerts take it: days left counted on the CA certificate served until now. */
export function certOrdered(alerts: Alerts): (o: OrderOutcome) => void {
  return ({ name, ok, served, meta }) => alerts.sources.certOrdered({
    domain: name.domain, app: name.app, ok, error: meta.lastError, failures: meta.failures, nextAttempt: meta.nextAttempt,
    notAfter: ok ? meta.notAfter : served.kind === 'acme' ? served.notAfter : undefined,
  });
}
