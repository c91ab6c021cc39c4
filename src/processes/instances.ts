// Starting and stopping single instances, with the bookkeeping the formation and supervisor share.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { typeVolumes, type Release } from '../core/index.ts';
import type { InstanceSpec, Runtime } from '../runtime/index.ts';
import type { Store, StoredInstance } from '../store/index.ts';

export class Instances {
  /** Handles we are stopping on purpose: their exit is not a crash. */
  private readonly stopping = new Set<string>();
  /** Instances a rollout or scale-up is still gating: their crash fails that operation instead of restarting them. */
  private readonly gated = new Set<string>();
  /** Instances taken out of service, waiting out their drain: never restarted. */
  private readonly retiring = new Set<string>();
  /** The instance ids a sleeping app's wake starts (park). */
  private readonly parked = new Map<string, Array<{ release: number; type: string; id: string }>>();
  /** Pending restarts of crashed instances. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(readonly store: Store, readonly runtime: Runtime, private readonly stopGraceMs: number, private readonly volumesDir: string) {}

  /** The app's storage volumes as the runtime mounts them: `<volumes>/<app>/<path>` on the host. */
  volumes(app: string): Array<{ path: string; hostDir: string }> {
    return this.store.volumes.list(app).map((v) => ({ path: v.path, hostDir: join(this.volumesDir, app, v.path.slice(1)) }));
  }

  /** The app's limits as resources:set left them; unset ones are the runtime's defaults. */
  limits(app: string): { memoryMb?: number; cpu?: number; pids?: number } {
    const a = this.store.apps.get(app);
    return { memoryMb: a?.memoryMb ?? undefined, cpu: a?.cpu ?? undefined, pids: a?.pids ?? undefined };
  }

  /** What the runtime is asked to start for one instance. */
  spec(release: Release, type: string, id: string, num: number): InstanceSpec {
    const command = release.artifact.processes[type];
    if (!command) throw new Error(`release v${release.version} has no ${type} process`);
    return {
      id, app: release.app, release: release.version, type, command, artifact: release.artifact, env: release.config,
      volumes: typeVolumes(release.artifact, type, this.volumes(release.app)), ...this.limits(release.app), name: `${type}.${num}`,
    };
  }

  /**
   * A sleeping app: the specs of the instances its wake will start (ids chosen now), handed to the runtime to ready
   * (Runtime.prewarm); the wake's launches take those ids again while the release is the same.
   */
  park(release: Release, types: string[]): InstanceSpec[] {
    // Numbered as the wake's launches will number them: no instance runs, so each type counts from 1.
    const specs = types.map((type, i) => this.spec(release, type, randomUUID(), types.slice(0, i + 1).filter((t) => t === type).length));
    this.parked.set(release.app, specs.map((s) => ({ release: release.version, type: s.type, id: s.id })));
    return specs;
  }

  /** An instance id parked for this release and type, once; a fresh one otherwise. */
  nextId(release: Release, type: string): string {
    const ids = this.parked.get(release.app) ?? [];
    const i = ids.findIndex((p) => p.release === release.version && p.type === type);
    if (i < 0) return randomUUID();
    return ids.splice(i, 1)[0]!.id;
  }

  async launch(release: Release, type: string, id: string = randomUUID(), restarts = 0): Promise<StoredInstance> {
    const num = this.number(release, type, id);
    const running = await this.runtime.start(this.spec(release, type, id, num));
    const inst: StoredInstance = {
      id, app: release.app, release: release.version, type, host: running.host, port: running.port, pid: running.pid,
      handle: running.handle, state: 'starting', startedAt: new Date().toISOString(), restarts, nextRestartAt: null, num,
    };
    this.store.instances.save(inst);
    return inst;
  }

  /**
   * The instance's number (`web.1`): kept by a restart in place, else the lowest its release's other instances of
   * the type do not have. A new release counts from 1 again, as Heroku's dynos do.
   */
  private number(release: Release, type: string, id: string): number {
    const kept = this.store.instances.get(id)?.num;
    if (kept) return kept;
    const taken = new Set(this.store.instances.list(release.app)
      .filter((i) => i.type === type && i.release === release.version && i.id !== id).map((i) => i.num));
    let n = 1;
    while (taken.has(n)) n++;
    return n;
  }

  async stop(stale: StoredInstance): Promise<void> {
    this.cancelRestart(stale.id);
    const i = this.store.instances.get(stale.id) ?? stale; // its handle may have changed since (a restart)
    for (const handle of new Set([stale.handle, i.handle])) {
      if (!handle) continue;
      this.stopping.add(handle);
      await this.runtime.stop(handle, this.stopGraceMs);
    }
    this.store.instances.delete(i.id);
  }

  /** Marks instances draining: out of the routes made from now on, no longer restarted; still running. */
  drain(instances: StoredInstance[]): void {
    for (const i of instances) {
      this.retiring.add(i.id);
      this.cancelRestart(i.id);
      const now = this.store.instances.get(i.id);
      if (now) this.store.instances.save({ ...now, state: 'draining', nextRestartAt: null });
    }
  }

  /** Takes instances out of service now (the caller refreshes routes), and stops them after `drainMs`. */
  retire(instances: StoredInstance[], drainMs: number): Promise<void> {
    this.drain(instances);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        void Promise.all(instances.map(async (i) => {
          await this.stop(i);
          this.retiring.delete(i.id);
        })).then(() => resolve());
      }, drainMs);
      t.unref();
    });
  }

  /** Serving instances of an app: up, current release, not retiring. */
  serving(app: string, release: number | null): StoredInstance[] {
    return this.store.instances.list(app).filter((i) => i.release === release && !this.retiring.has(i.id));
  }

  /** Was this handle's exit asked for (a stop)? Answers once per stop. */
  stoppedOnPurpose(handle: string): boolean {
    return this.stopping.delete(handle);
  }

  /** While gated, an instance's crash fails the operation watching it instead of restarting it. */
  gate(id: string): void {
    this.gated.add(id);
  }

  ungate(id: string): void {
    this.gated.delete(id);
  }

  isGated(id: string): boolean {
    return this.gated.has(id);
  }

  isRetiring(id: string): boolean {
    return this.retiring.has(id);
  }

  /** Runs `restart` after `delayMs`, in place of any restart of this instance still pending. */
  scheduleRestart(id: string, delayMs: number, restart: () => void): void {
    this.cancelRestart(id);
    this.timers.set(id, setTimeout(() => {
      this.timers.delete(id);
      restart();
    }, delayMs));
  }

  cancelRestart(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
