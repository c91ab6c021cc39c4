// The facts other parts make, turned into alerts and their resolutions: a deploy's end, a certificate order's outcome,
// a backup's outcome (or a scheduled one that could not run), an add-on server's answer to the periodic check.
import type { Deploy } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { AlertService } from './service.ts';
import { incidentKey } from './watchers.ts';

const DAY = 86400_000;
/** A failed deploy's alert quotes this many of its last log lines. */
export const DEPLOY_LINES = 20;

export class AlertSources {
  constructor(
    private readonly store: Store,
    private readonly alerts: AlertService,
    /** Where a deploy's full log is read (the API's log URL through the admin edge). */
    private readonly logUrl: (app: string, deployId: string) => string,
    private readonly now = Date.now,
  ) {}

  deployEnded(d: Deploy): void {
    const key = incidentKey.deploy(d.app);
    if (d.status === 'succeeded') return this.alerts.resolve(key, [`Deploy ${d.id} succeeded${d.release ? `: v${d.release} is live` : ''}.`]);
    if (d.status !== 'failed') return;
    const lines = this.store.deployLogs.tail(d.id, DEPLOY_LINES).map((l) => l.text.slice(0, 300));
    this.alerts.fire({
      kind: 'deploy-failed', key, app: d.app, title: `${d.app}: deploy failed`,
      lines: [
        `Deploy ${d.id} (${d.kind}${d.commit ? ` of ${d.commit.slice(0, 12)}` : ''}) failed: ${d.error ?? 'no reason recorded'}`,
        `The last ${lines.length} lines of its log:`, ...lines,
      ],
      url: this.logUrl(d.app, d.id),
    });
  }

  /** A certificate order ended; `notAfter`: the certificate served until now, if a CA's. */
  certOrdered(o: { domain: string; app: string | null; ok: boolean; error: string | null; failures: number; notAfter?: string; nextAttempt: string | null }): void {
    const key = incidentKey.cert(o.domain);
    if (o.ok) return this.alerts.resolve(key, [`${o.domain} has a new certificate${o.notAfter ? `, valid until ${o.notAfter}` : ''}.`]);
    const left = o.notAfter ? Math.floor((Date.parse(o.notAfter) - this.now()) / DAY) : null;
    const app = o.app !== null && this.store.apps.get(o.app) ? o.app : null;
    this.alerts.fire({
      kind: 'cert-renewal', key, app,
      title: `${o.domain}: certificate not renewed${left === null ? '' : ` (${left} days left)`}`,
      lines: [
        left === null
          ? `${o.domain} has no certificate from the CA yet: it is served with a self-signed one, which browsers warn about.`
          : `The certificate of ${o.domain} expires on ${o.notAfter}, in ${left} days.`,
        `The order failed (${o.failures} in a row): ${o.error ?? 'no reason recorded'}`,
        `minicloud tries again${o.nextAttempt ? ` at ${o.nextAttempt}` : ''}. Check that ${o.domain} points at this server, then \`minicloud certs:renew${app ? ` ${app}` : ''}\`.`,
      ],
    });
  }

  /** A user's own certificate (`certs:add`) checked: an alert 14 days before it expires, resolved once replaced or removed. */
  customCertExpiry(e: { domain: string; app: string; notAfter: string; expiring: boolean }): void {
    const key = incidentKey.cert(e.domain);
    if (!e.expiring) return this.alerts.resolve(key, [`${e.domain} no longer has a custom certificate about to expire.`]);
    const left = Math.max(0, Math.floor((Date.parse(e.notAfter) - this.now()) / DAY));
    const app = this.store.apps.get(e.app) ? e.app : null;
    this.alerts.fire({
      kind: 'cert-renewal', key, app,
      title: `${e.domain}: custom certificate expires in ${left} days`,
      lines: [
        `The custom certificate of ${e.domain} expires on ${e.notAfter}. minicloud does not renew certificates it did not order.`,
        `Renew it with its CA, then \`minicloud certs:add ${e.app} --cert fullchain.pem --key key.pem\`; or \`minicloud certs:remove ${e.app} --domain ${e.domain}\` to go back to an ACME certificate.`,
      ],
    });
  }

  backupFinished(b: { app: string; id: string; status: string; error: string | null; trigger: string }): void {
    const key = incidentKey.backup(b.app);
    if (b.status === 'good' || b.status === 'unverified') return this.alerts.resolve(key, [`Backup ${b.id} of ${b.app} is ${b.status}.`]);
    if (b.status !== 'failed') return;
    this.alerts.fire({
      kind: 'backup-failed', key, app: b.app, title: `${b.app}: backup failed`,
      lines: [`The ${b.trigger} backup ${b.id} failed: ${b.error ?? 'no reason recorded'}`, `See \`minicloud backups ${b.app}\`; back up by hand with \`minicloud backups:capture ${b.app}\`.`],
    });
  }

  /** A scheduled backup that did not run at all (another still running, the app gone, no room). */
  backupSkipped(app: string, why: string): void {
    if (!this.store.apps.get(app)) return;
    this.alerts.fire({
      kind: 'backup-failed', key: incidentKey.backup(app), app, title: `${app}: scheduled backup skipped`,
      lines: [`The scheduled backup of ${app} did not run: ${why}`, `Back up by hand with \`minicloud backups:capture ${app}\`.`],
    });
  }

  /** The periodic check of the shared add-on servers: per kind, null when it answered, else why not. */
  addonsChecked(reach: Map<string, string | null>): void {
    for (const [kind, error] of reach) {
      const key = incidentKey.addon(kind);
      if (error === null) {
        this.alerts.resolve(key, [`The ${kind} server answers again.`]);
        continue;
      }
      this.alerts.fire({
        kind: 'addon-unreachable', key, app: null, title: `${kind} add-on server unreachable`,
        lines: [`minicloud could not reach the shared ${kind} server: ${error.slice(0, 300)}`, `Apps with a ${kind} add-on may be failing. Check the server (MINICLOUD_${kind.toUpperCase()}_ADDON_URL).`],
      });
    }
    // A server no app uses any more is no longer checked: its incident ends.
    for (const i of this.store.alertIncidents.list('addon-unreachable')) {
      const kind = i.key.slice(i.key.indexOf(':') + 1);
      if (!reach.has(kind)) this.alerts.resolve(i.key, [`No app has a ${kind} add-on now.`]);
    }
  }
}
