// Keeping instances alive: restart on crash with backoff, and restart after repeated failed health checks.
import { artifactHealthcheck, type Release } from '../core/index.ts';
import { nextDelay, probe, waitHealthy } from '../health/index.ts';
import type { FormationEmitter } from './events.ts';
import type { Instances } from './instances.ts';

export interface SupervisorOptions {
  startTimeoutMs: number;
  /** How often each serving web instance is probed; 0 turns the checks off. */
  healthIntervalMs: number;
  /** Failed probes in a row after which the instance is restarted. */
  healthFailures: number;
}

export const healthPath = (r: Release) => artifactHealthcheck(r.artifact)?.path;
export const startTimeout = (r: Release, fallbackMs: number) => {
  const seconds = artifactHealthcheck(r.artifact)?.startTimeoutSeconds;
  return seconds ? seconds * 1000 : fallbackMs;
};

export class Supervisor {
  private readonly fails = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | null;
  private checking = false;

  constructor(private readonly i: Instances, private readonly events: FormationEmitter, private readonly opts: SupervisorOptions) {
    i.runtime.onExit((handle, code) => this.exited(handle, code));
    this.timer = opts.healthIntervalMs > 0 ? setInterval(() => void this.check(), opts.healthIntervalMs) : null;
    this.timer?.unref();
  }

  private exited(handle: string, code: number | null): void {
    if (this.i.stoppedOnPurpose(handle) || !this.i.store.isOpen) return;
    const inst = this.i.store.instances.list().find((x) => x.handle === handle);
    if (!inst || this.i.isRetiring(inst.id)) return;
    const upFor = Date.now() - Date.parse(inst.startedAt);
    const { delayMs, restarts } = nextDelay(inst.restarts, upFor);
    const gated = this.i.isGated(inst.id); // the operation watching it reports the failure
    const nextRestartAt = gated ? null : new Date(Date.now() + delayMs).toISOString();
    this.i.store.instances.save({ ...inst, state: 'crashed', pid: null, handle: null, restarts, nextRestartAt });
    this.events.emit('changed', inst.app);
    this.events.emit('crash', inst, code, delayMs);
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

  /** One round of health probes over the serving web instances. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const up = this.i.store.instances.list().filter((x) => x.type === 'web' && x.state === 'up' && x.handle && !this.i.isRetiring(x.id) && !this.i.isGated(x.id));
      await Promise.all(up.map(async (inst) => {
        const release = this.i.store.releases.get(inst.app, inst.release);
        const r = await probe({ host: inst.host, port: inst.port, path: release ? healthPath(release) : undefined, timeoutMs: 5000 });
        const fails = r.ok ? 0 : (this.fails.get(inst.id) ?? 0) + 1;
        this.fails.set(inst.id, fails);
        if (fails < this.opts.healthFailures) return;
        this.fails.delete(inst.id);
        this.events.emit('unhealthy', inst, r.ok ? '' : r.reason);
        // Its exit is then handled as a crash: restarted with backoff.
        await this.i.runtime.stop(inst.handle!, 5000);
      }));
      for (const id of this.fails.keys()) if (!this.i.store.instances.get(id)) this.fails.delete(id);
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
