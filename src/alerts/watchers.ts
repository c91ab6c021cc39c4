// The alerts minicloud watches for itself: apps' processes (crash loops, failed health checks, and when they are
// healthy again), the data directory's free space and the host's available memory, checked every so often.
import { readFileSync, statfsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import type { ExitCause } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { AlertService } from './service.ts';
import type { AlertSettings, Threshold } from './types.ts';

const LOOP_WINDOW_MS = 10 * 60_000;
const MiB = 1024 * 1024;

export const incidentKey = {
  crashLoop: (app: string) => `crash-loop:${app}`,
  unhealthy: (app: string) => `unhealthy:${app}`,
  deploy: (app: string) => `deploy-failed:${app}`,
  backup: (app: string) => `backup-failed:${app}`,
  cert: (domain: string) => `cert-renewal:${domain}`,
  addon: (kind: string) => `addon-unreachable:${kind}`,
  disk: 'disk-low', memory: 'memory-low',
};

/** Crashes and failed health checks, told by the formation's events; recoveries found by `check()`. */
export class ProcessWatch {
  private readonly crashes = new Map<string, number[]>();
  /** When each app last crashed or failed its checks. */
  private readonly lastTrouble = new Map<string, number>();

  constructor(private readonly store: Store, private readonly alerts: AlertService, private readonly s: AlertSettings, private readonly now = Date.now) {}

  /** `cause`: `oom` (killed at its memory limit), `unhealthy` (stopped after failed checks) or `exited`. */
  crashed(app: string, type: string, code: number | null, delayMs: number, cause: ExitCause = 'exited'): void {
    const t = this.now();
    this.lastTrouble.set(app, t);
    const recent = [...(this.crashes.get(app) ?? []).filter((x) => t - x < LOOP_WINDOW_MS), t];
    this.crashes.set(app, recent);
    if (recent.length < this.s.loopCrashes) return;
    this.alerts.fire({
      kind: 'crash-loop', key: incidentKey.crashLoop(app), app, title: `${app}: crash-looping`,
      lines: [
        `Its ${type} process ended ${recent.length} times within ${LOOP_WINDOW_MS / 60_000} minutes (last: ${lastEnd(cause, code)}); minicloud restarts it in ${Math.round(delayMs / 1000)} s, waiting longer each time.`,
        ...(cause === 'oom' ? [`It ran out of memory: raise its limit with \`minicloud resources:set ${app} memory=…\`, or make it use less.`] : []),
        `See why with \`minicloud logs ${app}\`; fix it and push, or roll back with \`minicloud rollback ${app}\`.`,
      ],
    });
  }

  unhealthy(app: string, type: string, reason: string, failures: number): void {
    this.lastTrouble.set(app, this.now());
    this.alerts.fire({
      kind: 'unhealthy', key: incidentKey.unhealthy(app), app, title: `${app}: failing its health checks`,
      lines: [
        `A ${type} instance failed ${failures} health checks in a row${reason ? ` (${reason})` : ''}; minicloud restarted it.`,
        `See \`minicloud logs ${app}\` and \`minicloud ps ${app}\`.`,
      ],
    });
  }

  /** Resolves an app's crash loop or health incident once all its instances have been up for a while. */
  check(): void {
    for (const key of [...this.store.alertIncidents.list('crash-loop'), ...this.store.alertIncidents.list('unhealthy')].map((i) => i.key)) {
      const app = key.slice(key.indexOf(':') + 1);
      const state = this.healthy(app);
      if (state) this.alerts.resolve(key, [state]);
    }
    const t = this.now();
    for (const [app, times] of this.crashes) if (times.every((x) => t - x >= LOOP_WINDOW_MS)) this.crashes.delete(app);
  }

  /** Why the app counts as healthy again, or null while it does not. */
  private healthy(app: string): string | null {
    const a = this.store.apps.get(app);
    if (!a) return `${app} was destroyed.`;
    if (a.state !== 'running') return `${app} is ${a.state} now.`;
    const t = this.now();
    const since = this.lastTrouble.get(app) ?? 0;
    const instances = this.store.instances.list(app);
    const stable = instances.length > 0 && instances.every((i) => i.state === 'up' && t - Date.parse(i.startedAt) >= this.s.stableMs);
    if (!stable || t - since < this.s.stableMs) return null;
    return `All ${instances.length} of its instances have been up for ${Math.round(this.s.stableMs / 1000)} s or more.`;
  }
}

function lastEnd(cause: ExitCause, code: number | null): string {
  if (cause === 'oom') return 'killed out of memory at its memory limit';
  if (cause === 'unhealthy') return 'stopped after failing its health checks';
  return code === null ? 'killed by a signal' : `exit code ${code}`;
}

/** Free space of the data directory's file system and the host's available memory, against their thresholds. */
export class HostWatch {
  constructor(private readonly alerts: AlertService, private readonly s: AlertSettings, private readonly dataDir: string) {}

  check(): void {
    const fs = statfsSync(this.dataDir);
    this.compare('disk', fs.bavail * fs.bsize, fs.blocks * fs.bsize, this.s.diskFree);
    this.compare('memory', availableMemory(), totalmem(), this.s.memoryFree);
  }

  private compare(what: 'disk' | 'memory', free: number, total: number, t: Threshold): void {
    const floor = 'percent' in t ? (total * t.percent) / 100 : t.mb * MiB;
    const said = 'percent' in t ? `${t.percent}%` : `${t.mb} MiB`;
    const key = what === 'disk' ? incidentKey.disk : incidentKey.memory;
    const word = what === 'disk' ? 'free' : 'available';
    const amount = `${Math.round(free / MiB)} MiB of ${Math.round(total / MiB)} MiB (${((free / total) * 100).toFixed(1)}%) ${word}`;
    if (free >= floor) return this.alerts.resolve(key, [`${what === 'disk' ? 'The data directory has' : 'The host has'} ${amount}, above the threshold of ${said}.`]);
    const setting = what === 'disk' ? 'MINICLOUD_ALERT_DISK_FREE' : 'MINICLOUD_ALERT_MEMORY_FREE';
    this.alerts.fire(what === 'disk' ? {
      kind: 'disk-low', key, app: null, title: 'disk space low',
      lines: [`The data directory ${this.dataDir} has ${amount}, below ${said} (${setting}).`, 'Builds, backups and logs need room: remove old backups or apps, or grow the disk.'],
    } : {
      kind: 'memory-low', key, app: null, title: 'memory low',
      lines: [`The host has ${amount}, below ${said} (${setting}).`, 'Lower apps\' memory limits or instance counts (`minicloud resources:set`, `ps:scale`), or add memory.'],
    });
  }
}

/** MemAvailable (what can be had without swapping), else the kernel's free memory. */
function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return freemem();
}
