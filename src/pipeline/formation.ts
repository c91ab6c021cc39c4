// The formation: which instances of which release run for each app; rollout, restart on crash, restore.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { UserError, type App, type Release } from '../core/index.ts';
import { nextDelay, waitHealthy } from '../health/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Store, StoredInstance } from '../store/index.ts';

export interface FormationOptions {
  startTimeoutMs: number;
  /** How long an old instance may finish its requests after the route moved away from it. */
  drainMs: number;
  stopGraceMs: number;
}

const processTypes = (r: Release) => Object.keys(r.artifact.processes).filter((t) => t !== 'release');

export class Formation extends EventEmitter {
  private readonly stopping = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Instances a rollout is still gating: their crash fails the rollout instead of restarting them. */
  private readonly gated = new Set<string>();
  /** Instances of a release that was replaced, waiting out their drain: never restarted. */
  private readonly retiring = new Set<string>();

  constructor(private readonly store: Store, private readonly runtime: Runtime, private readonly opts: FormationOptions) {
    super();
    runtime.onExit((handle, code) => this.exited(handle, code));
  }

  /** Start `release` beside what runs now; switch to it once healthy; then retire the old instances. */
  async rollout(release: Release, log: (line: string) => void): Promise<void> {
    const old = this.store.listInstances(release.app);
    const started: StoredInstance[] = [];
    try {
      for (const type of processTypes(release)) {
        const inst = await this.launch(release, type);
        this.gated.add(inst.id);
        started.push(inst);
      }
      for (const inst of started.filter((i) => i.type === 'web')) {
        log(`       Waiting for web to answer on port ${inst.port} (up to ${Math.round(this.opts.startTimeoutMs / 1000)} s)`);
        const health = await waitHealthy({
          host: inst.host, port: inst.port, timeoutMs: this.opts.startTimeoutMs,
          gone: () => this.store.getInstance(inst.id)?.state !== 'starting',
        });
        if (!health.ok) throw new UserError(`v${release.version} did not start: ${health.reason}`, `see its output with \`minicloud logs ${release.app}\``);
      }
      const died = started.find((i) => this.store.getInstance(i.id)?.state !== 'starting');
      if (died) throw new UserError(`v${release.version} did not start: its ${died.type} process exited`, `see its output with \`minicloud logs ${release.app}\``);
    } catch (e) {
      await Promise.all(started.map((i) => this.stopInstance(i)));
      throw e;
    } finally {
      for (const i of started) this.gated.delete(i.id);
    }
    for (const inst of started) this.store.saveInstance({ ...inst, state: 'up' });
    this.store.setCurrentRelease(release.app, release.version);
    this.emit('changed', release.app);
    this.retire(old);
  }

  /** Old instances leave the route table first, then get a drain period before they are stopped. */
  private retire(instances: StoredInstance[]): void {
    for (const i of instances) {
      this.retiring.add(i.id);
      this.cancelRestart(i.id);
      if (i.handle) this.stopping.add(i.handle);
    }
    const t = setTimeout(() => {
      void Promise.all(instances.map(async (i) => {
        await this.stopInstance(i);
        this.retiring.delete(i.id);
      }));
    }, this.opts.drainMs);
    t.unref();
  }

  async stopApp(app: string): Promise<void> {
    const instances = this.store.listInstances(app);
    await Promise.all(instances.map((i) => this.stopInstance(i)));
    this.emit('changed', app);
  }

  private async launch(release: Release, type: string, id: string = randomUUID(), restarts = 0): Promise<StoredInstance> {
    const command = release.artifact.processes[type]!;
    const running = await this.runtime.start({
      id, app: release.app, release: release.version, type, command, artifact: release.artifact, env: release.config,
    });
    const inst: StoredInstance = {
      id, app: release.app, release: release.version, type, host: running.host, port: running.port, pid: running.pid,
      handle: running.handle, state: 'starting', startedAt: new Date().toISOString(), restarts,
    };
    this.store.saveInstance(inst);
    return inst;
  }

  private async stopInstance(stale: StoredInstance): Promise<void> {
    this.cancelRestart(stale.id);
    const i = this.store.getInstance(stale.id) ?? stale; // its handle may have changed since (a restart)
    for (const handle of new Set([stale.handle, i.handle])) {
      if (!handle) continue;
      this.stopping.add(handle);
      await this.runtime.stop(handle, this.opts.stopGraceMs);
    }
    this.store.deleteInstance(i.id);
  }

  private cancelRestart(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private exited(handle: string, code: number | null): void {
    if (this.stopping.delete(handle)) return;
    const inst = this.store.listInstances().find((i) => i.handle === handle);
    if (!inst || this.retiring.has(inst.id)) return;
    const upFor = Date.now() - Date.parse(inst.startedAt);
    const { delayMs, restarts } = nextDelay(inst.restarts, upFor);
    this.store.saveInstance({ ...inst, state: 'crashed', pid: null, handle: null, restarts });
    this.emit('changed', inst.app);
    this.emit('crash', inst, code, delayMs);
    if (this.gated.has(inst.id)) return; // the rollout watching it reports the failure
    this.timers.set(inst.id, setTimeout(() => { void this.restart(inst.id); }, delayMs));
  }

  private async restart(id: string): Promise<void> {
    this.timers.delete(id);
    const inst = this.store.getInstance(id);
    const app = inst && this.store.getApp(inst.app);
    const release = inst && this.store.getRelease(inst.app, inst.release);
    if (!inst || !app || !release || app.state !== 'running' || this.retiring.has(id) || app.currentRelease !== inst.release) return;
    let next: StoredInstance;
    try {
      next = await this.launch(release, inst.type, inst.id, inst.restarts);
    } catch (e) {
      this.emit('error', e);
      const { delayMs, restarts } = nextDelay(inst.restarts, 0);
      this.store.saveInstance({ ...inst, state: 'crashed', pid: null, handle: null, restarts });
      this.timers.set(id, setTimeout(() => { void this.restart(id); }, delayMs));
      return;
    }
    if (inst.type === 'web') {
      const health = await waitHealthy({ host: next.host, port: next.port, timeoutMs: this.opts.startTimeoutMs,
        gone: () => this.store.getInstance(id)?.state !== 'starting' });
      if (!health.ok) return;
    }
    const now = this.store.getInstance(id);
    if (now?.state === 'starting') this.store.saveInstance({ ...now, state: 'up' });
    this.emit('changed', inst.app);
  }

  /** After minicloud restarts: re-attach live instances, replace dead ones, drop strays. */
  async restore(): Promise<void> {
    for (const app of this.store.listApps()) {
      await this.restoreApp(app).catch((e) => this.emit('error', e)); // one broken app must not hold up the rest
    }
  }

  private async restoreApp(app: App): Promise<void> {
    const instances = this.store.listInstances(app.name);
    const current = app.currentRelease;
    for (const i of instances) {
      const alive = i.handle ? await this.runtime.adopt(i.handle) : false;
      const wanted = app.state === 'running' && i.release === current;
      if (alive && wanted) {
        if (i.state === 'starting') this.store.saveInstance({ ...i, state: 'up' });
        continue;
      }
      if (alive) await this.stopInstance(i);
      else if (wanted) await this.restart(i.id);
      else this.store.deleteInstance(i.id);
    }
    const release = current ? this.store.getRelease(app.name, current) : null;
    if (release && app.state === 'running' && this.store.listInstances(app.name).length === 0) {
      await this.rollout(release, () => {}).catch((e) => this.emit('error', e));
    }
    this.emit('changed', app.name);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
