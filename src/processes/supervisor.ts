// Keeping instances alive: restart on crash with backoff, and restart after repeated failed health checks.
import { artifactHealthcheck, type ExitCause, type Release } from '../core/index.ts';
import { HangJudge, nextDelay, probe, waitHealthy, type ProbeSettings } from '../health/index.ts';
import type { ExitReason } from '../runtime/index.ts';
import type { StoredInstance } from '../store/index.ts';
import type { FormationEmitter } from './events.ts';
import type { Instances } from './instances.ts';

export interface SupervisorOptions {
  startTimeoutMs: number;
  /** How often each serving web instance is probed (an app's manifest may say otherwise); 0 turns the checks off. */
  healthIntervalMs: number;
  /** Failed probes in a row (with no sign of life) after which the instance is restarted. */
  healthFailures: number;
  /** How long a probe may take; default 2 s. */
  healthTimeoutMs?: number;
}

/** A release's probe settings: its manifest's healthcheck where it says, the server's otherwise. */
export function probeSettings(r: Release | null, o: SupervisorOptions): ProbeSettings {
  const hc = r ? artifactHealthcheck(r.artifact) : undefined;
  return {
    intervalMs: hc?.intervalSeconds ? hc.intervalSeconds * 1000 : o.healthIntervalMs,
    timeoutMs: hc?.probeTimeoutSeconds ? hc.probeTimeoutSeconds * 1000 : (o.healthTimeoutMs ?? 2000),
    failures: hc?.failures ?? o.healthFailures,
  };
}

interface Watch { judge: HangJudge; nextAt: number; probing: boolean; settings: ProbeSettings }

export const healthPath = (r: Release) => artifactHealthcheck(r.artifact)?.path;
export const startTimeout = (r: Release, fallbackMs: number) => {
  const seconds = artifactHealthcheck(r.artifact)?.startTimeoutSeconds;
  return seconds ? seconds * 1000 : fallbackMs;
};

export class Supervisor {
  private readonly watches = new Map<string, Watch>();
  /** Handles the health checks are stopping: their exit is a crash with cause `unhealthy`. */
  private readonly unhealthy = new Set<string>();
  private readonly timer: NodeJS.Timeout | null;

  constructor(private readonly i: Instances, private readonly events: FormationEmitter, private readonly opts: SupervisorOptions) {
    i.runtime.onExit((handle, code, reason) => this.exited(handle, code, reason));
    // Each instance is probed on its own schedule (its release's interval); the tick only looks who is due.
    this.timer = opts.healthIntervalMs > 0 ? setInterval(() => this.check(), 250) : null;
    this.timer?.unref();
  }

  private exited(handle: string, code: number | null, reason: ExitReason): void {
    const cause: ExitCause = this.unhealthy.delete(handle) ? 'unhealthy' : reason;
    if (this.i.stoppedOnPurpose(handle) || !this.i.store.isOpen) return;
    const inst = this.i.store.instances.list().find((x) => x.handle === handle);
    if (!inst || this.i.isRetiring(inst.id)) return;
    const upFor = Date.now() - Date.parse(inst.startedAt);
    const backoff = nextDelay(inst.restarts, upFor);
    // A hung instance was already given its failed probes' time: its replacement starts at once. Should that one
    // hang from its start, it never becomes healthy, and its failed start backs off as any crash does.
    const { restarts } = backoff;
    const delayMs = cause === 'unhealthy' ? 0 : backoff.delayMs;
    const gated = this.i.isGated(inst.id); // the operation watching it reports the failure
    const nextRestartAt = gated ? null : new Date(Date.now() + delayMs).toISOString();
    const lastExit = { cause, code, at: new Date().toISOString() };
    this.i.store.instances.save({ ...inst, state: 'crashed', pid: null, handle: null, restarts, nextRestartAt, lastExit });
    this.events.emit('changed', inst.app);
    this.events.emit('crash', { ...inst, restarts, lastExit }, code, delayMs, cause);
    if (!gated) this.schedule(inst.id, delayMs);
  }

  private schedule(id: string, delayMs: number): void {
    this.i.scheduleRestart(id, delayMs, () => void this.restart(id));
  }

  /** Starts a crashed instance again, in place (same id), once its backoff has passed. */
  async restart(id: string): Promise<void> {
    const inst = this.i.store.instances.get(id);
    const app = inst && this.i.store.apps.get(inst.app);
    const release = inst && this.i.store.releases.get(inst.app, inst.release);
    if (!inst || !app || !release || app.state !== 'running' || this.i.isRetiring(id) || app.currentRelease !== inst.release) return;
    try {
      const next = await this.i.launch(release, inst.type, inst.id, inst.restarts);
      if (inst.type === 'web') {
        const health = await waitHealthy({
          host: next.host, port: next.port, path: healthPath(release), timeoutMs: startTimeout(release, this.opts.startTimeoutMs),
          gone: () => this.i.store.instances.get(id)?.state !== 'starting',
        });
        // Not healthy in time: stop it; its exit counts as a crash and backs off again.
        if (!health.ok) return void (await this.i.runtime.stop(next.handle!, 5000));
      }
    } catch (e) {
      this.events.emit('error', e);
      const { delayMs, restarts } = nextDelay(inst.restarts, 0);
      this.i.store.instances.save({ ...inst, state: 'crashed', pid: null, handle: null, restarts, nextRestartAt: new Date(Date.now() + delayMs).toISOString() });
      return this.schedule(id, delayMs);
    }
    const now = this.i.store.instances.get(id);
    if (now?.state === 'starting') this.i.store.instances.save({ ...now, state: 'up', nextRestartAt: null });
    this.events.emit('changed', inst.app);
  }

  /** Starts the probes that are due, each instance on its own schedule; one slow probe holds up no other. */
  private check(): void {
    if (!this.i.store.isOpen) return;
    const now = Date.now();
    const up = this.i.store.instances.list().filter((x) => x.type === 'web' && x.state === 'up' && x.handle && !this.i.isRetiring(x.id) && !this.i.isGated(x.id));
    for (const inst of up) {
      let w = this.watches.get(inst.id);
      if (!w) {
        const settings = probeSettings(this.i.store.releases.get(inst.app, inst.release), this.opts);
        w = { judge: new HangJudge(settings), nextAt: now + settings.intervalMs, probing: false, settings };
        this.watches.set(inst.id, w);
      }
      if (w.probing || now < w.nextAt) continue;
      w.probing = true;
      w.nextAt = now + w.settings.intervalMs;
      void this.probeOne(inst, w).catch((e) => this.events.emit('error', e)).finally(() => { w.probing = false; });
    }
    const live = new Set(up.map((x) => x.id));
    for (const id of this.watches.keys()) if (!live.has(id)) this.watches.delete(id);
  }

  private async probeOne(inst: StoredInstance, w: Watch): Promise<void> {
    const release = this.i.store.releases.get(inst.app, inst.release);
    const handle = inst.handle!;
    const before = this.i.runtime.activity?.(handle);
    const r = await probe({ host: inst.host, port: inst.port, path: release ? healthPath(release) : undefined, timeoutMs: w.settings.timeoutMs });
    const after = this.i.runtime.activity?.(handle);
    const progressed = before == null || after == null ? null : after.work !== before.work || after.runnable;
    const restart = w.judge.record(r.ok ? { ok: true } : r.timedOut ? { ok: false, timedOut: true, progressed } : { ok: false, timedOut: false });
    if (!restart || r.ok || this.i.store.instances.get(inst.id)?.handle !== handle) return;
    this.watches.delete(inst.id);
    this.events.emit('unhealthy', inst, r.reason);
    this.unhealthy.add(handle);
    // Its exit is then handled as a crash: restarted with backoff.
    await this.i.runtime.stop(handle, 5000);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
