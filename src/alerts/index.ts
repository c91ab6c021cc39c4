// alerts: notification channels (webhooks, e-mail) and what is announced on them. The composition root (server/) tells
// it the facts where they are made: a deploy's end, the formation's crashes, certificate orders, backups, add-on checks.
import type { Logger } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { AlertService } from './service.ts';
import { AlertSources } from './sources.ts';
import type { AlertSettings } from './types.ts';
import { HostWatch, ProcessWatch } from './watchers.ts';

export { AlertService } from './service.ts';
export { parseChannelInput } from './channels.ts';
export { alertSettings, parseThreshold } from './settings.ts';
export { detectFormat, maskUrl, webhookBody } from './format.ts';
export { HostWatch, ProcessWatch, incidentKey } from './watchers.ts';
export type { Alert, AlertMessage, AlertSettings } from './types.ts';

export interface AlertsOptions {
  store: Store;
  settings: AlertSettings;
  log: Logger;
  /** The data directory, whose file system's free space is watched. */
  dataDir: string;
  /** Where a deploy's full log is read. */
  logUrl: (app: string, deployId: string) => string;
}

/** The alert service, the sources feeding it, and the periodic checks (disk, memory, recoveries). */
export class Alerts {
  readonly service: AlertService;
  readonly sources: AlertSources;
  readonly processes: ProcessWatch;
  private readonly host: HostWatch;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: AlertsOptions) {
    this.service = new AlertService({ store: o.store, settings: o.settings, log: o.log });
    this.sources = new AlertSources(o.store, this.service, o.logUrl);
    this.processes = new ProcessWatch(o.store, this.service, o.settings);
    this.host = new HostWatch(this.service, o.settings, o.dataDir);
  }

  /** The periodic checks, now and every MINICLOUD_ALERT_CHECK_INTERVAL. */
  start(): void {
    if (this.timer) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.o.settings.checkMs);
    this.timer.unref();
  }

  check(): void {
    try {
      this.host.check();
      this.processes.check();
    } catch (e) {
      this.o.log.error('alert checks:', e);
    }
  }

  /** Stops the checks; waits for deliveries under way (each bounded by MINICLOUD_ALERT_TIMEOUT). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.service.idle();
  }
}
