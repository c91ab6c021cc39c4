// The formation: which instances of which release run for each app: release phase, rollout, scale, stop, start, restore.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { UserError, isProcessType, mark, wantedFormation, type App, type Release } from '../core/index.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Store, StoredInstance } from '../store/index.ts';
import type { FormationEvents } from './events.ts';
import { Instances } from './instances.ts';
import { startGated } from './start-gated.ts';
import { Supervisor, type SupervisorOptions } from './supervisor.ts';

export interface FormationOptions extends SupervisorOptions {
  /** How long an old instance may finish its requests after the route moved away from it. */
  drainMs: number;
  /** Resolves once the router serves with the routes as of now (the router daemon acknowledged them). */
  published?: () => Promise<void>;
  stopGraceMs: number;
  /** Where storage volumes live on the host: `<volumesDir>/<app>/<path>`. */
  volumesDir: string;
  /**
   * An app with storage is updated stop-first: its old instances stop before the new ones start, so two never write
   * its volume at once (on a swarm, where they would be two services; elsewhere start-first, as before). Asked at
   * each rollout: the runtime may change while minicloud runs (swarm:init).
   */
  stopFirstWithStorage?: () => boolean;
}

export const MAX_SCALE = 100;
/** A type that runs its own image with a volume of its own (a Compose file's database): one instance, stop-first. */
const isStateful = (r: Release | null, type: string) => r?.artifact.services?.[type]?.stateful === true;
const processTypes = (r: Release) => Object.keys(r.artifact.processes).filter((t) => t !== 'release');

export class Formation extends EventEmitter<FormationEvents> {
  private readonly instances: Instances;
  private readonly supervisor: Supervisor;

  constructor(private readonly store: Store, runtime: Runtime, private readonly opts: FormationOptions) {
    super();
    this.instances = new Instances(store, runtime, opts.stopGraceMs, opts.volumesDir);
    this.supervisor = new Supervisor(this.instances, this, opts);
  }

  /** Instances wanted per process type of a release: the app's formation, one each by default. */
  wanted(release: Release): Record<string, number> {
    return wantedFormation(release.artifact.processes, this.store.formation.get(release.app));
  }

  /** The app's storage volumes as the runtime mounts them: `<volumes>/<app>/<path>` on the host. */
  volumes(app: string): Array<{ path: string; hostDir: string }> {
    return this.instances.volumes(app);
  }

  /**
   * Pauses the app's running database services (a process type with an image and a volume of its own) while a backup
   * copies their volumes, so the copy is consistent; resolves to what resumes them. Nothing to pause: a no-op.
   */
  async freezeStateful(app: string): Promise<() => Promise<void>> {
    const frozen: string[] = [];
    const freeze = this.instances.runtime.freeze?.bind(this.instances.runtime);
    const thaw = async () => { for (const h of frozen) await freeze?.(h, false).catch(() => { /* gone meanwhile: nothing to resume */ }); };
    if (!freeze) return thaw;
    try {
      for (const i of this.store.instances.list(app)) {
        if (!i.handle || i.state !== 'up' || !isStateful(this.store.releases.get(app, i.release), i.type)) continue;
        await freeze(i.handle, true);
        frozen.push(i.handle);
      }
    } catch (e) {
      await thaw();
      throw e;
    }
    return thaw;
  }

  /** The app's limits as resources:set left them (one-offs and cron runs get them too); unset ones are the runtime's defaults. */
  limits(app: string): { memoryMb?: number; cpu?: number; pids?: number } {
    return this.instances.limits(app);
  }

  /** Runs the Procfile's `release:` command once, in the new release, before any traffic reaches it. */
  async releasePhase(release: Release, say: (l: string) => void): Promise<void> {
    const command = release.artifact.processes.release;
    if (!command) return;
    say(`-----> Running release command: ${command}`);
    const code = await this.instances.runtime.run(
      { id: randomUUID(), app: release.app, release: release.version, type: 'release', command, artifact: release.artifact, env: release.config, volumes: this.volumes(release.app), ...this.limits(release.app) },
      (line) => say(`       ${line}`),
    );
    if (code !== 0) {
      throw new UserError(`the release command failed with exit code ${code}; v${release.version} was not deployed`, 'fix it (see its output above) and push again');
    }
  }

  /** Start `release` beside what runs now; switch to it once healthy; then retire the old instances. */
  async rollout(release: Release, log: (line: string) => void): Promise<void> {
    const old = this.store.instances.list(release.app);
    const wanted = Object.entries(this.wanted(release)).flatMap(([type, n]) => Array<string>(n).fill(type));
    if (this.opts.stopFirstWithStorage?.() && old.length && this.volumes(release.app).length) return this.rolloutStopFirst(release, wanted, old, log);
    const stateful = await this.stopStateful(release, old, log);
    const started = await this.startGated(release, wanted, log).catch(async (e: unknown) => {
      await this.restartStateful(stateful, log);
      throw e;
    });
    for (const inst of started) this.store.instances.save({ ...inst, state: 'up' });
    this.store.apps.setCurrentRelease(release.app, release.version);
    // The old instances drain from when the router serves the new ones, not before.
    await this.changed(release.app);
    mark('routed');
    const rest = old.filter((i) => !stateful.includes(i));
    if (rest.some((i) => i.release === release.version)) {
      // A restart: the old instances are of the same release, so the routes keep them until they are draining.
      this.instances.drain(rest);
      await this.changed(release.app);
    }
    void this.instances.retire(rest, this.opts.drainMs);
  }

  /**
   * The running instances of a type with a volume of its own (a Compose file's database) stop before the new release
   * starts: two never write its files at once. The rest of the app keeps serving meanwhile.
   */
  private async stopStateful(release: Release, old: StoredInstance[], log: (line: string) => void): Promise<StoredInstance[]> {
    const stateful = old.filter((i) => isStateful(release, i.type) || isStateful(this.store.releases.get(i.app, i.release), i.type));
    if (!stateful.length) return [];
    log(`-----> Stopping ${[...new Set(stateful.map((i) => i.type))].join(', ')} first (a service with its own volume runs once: never two writers)`);
    await Promise.all(stateful.map((i) => this.instances.stop(i)));
    return stateful;
  }

  /** The new release did not start: the stateful instances stopped for it start again, as they were. */
  private async restartStateful(stopped: StoredInstance[], log: (line: string) => void): Promise<void> {
    const release = stopped[0] && this.store.releases.get(stopped[0].app, stopped[0].release);
    if (!release || this.store.apps.get(release.app)?.state !== 'running') return;
    log(`-----> Starting ${[...new Set(stopped.map((i) => i.type))].join(', ')} of v${release.version} again`);
    const back = await this.startGated(release, stopped.map((i) => i.type), log).catch((e: unknown) => {
      log(`       they did not start either: ${(e as Error).message}`);
      return [];
    });
    for (const inst of back) this.store.instances.save({ ...inst, state: 'up' });
    await this.changed(release.app);
  }

  /**
   * Stop-first: the old instances leave the routes and stop (each finishing its requests within the stop's grace
   * time), then the new ones start. Meanwhile the router holds the app's requests as for any starting app (up to
   * 10 s, then 503). If the new release does not start, the release that ran is started again before the error.
   */
  private async rolloutStopFirst(release: Release, wanted: string[], old: StoredInstance[], log: (line: string) => void): Promise<void> {
    const app = release.app;
    log(`-----> ${app} has storage: its running instances stop before v${release.version} starts (stop-first), so two never write its volume at once`);
    log('       Requests are held until it answers (up to 10 s, then 503)');
    this.instances.drain(old);
    await this.changed(app);
    await Promise.all(old.map((i) => this.instances.stop(i)));
    try {
      const started = await this.startGated(release, wanted, log);
      for (const inst of started) this.store.instances.save({ ...inst, state: 'up' });
      this.store.apps.setCurrentRelease(app, release.version);
      await this.changed(app);
    } catch (e) {
      const before = this.store.releases.current(app);
      if (before && before.version !== release.version && this.store.apps.get(app)?.state === 'running') {
        log(`-----> v${release.version} did not start: starting v${before.version} again`);
        const types = Object.entries(this.wanted(before)).flatMap(([type, n]) => Array<string>(n).fill(type));
        const back = await this.startGated(before, types, log).catch((again: unknown) => {
          log(`       v${before.version} did not start either: ${(again as Error).message}`);
          return [];
        });
        for (const inst of back) this.store.instances.save({ ...inst, state: 'up' });
        await this.changed(app);
      }
      throw e;
    }
  }

  /**
   * Moves one instance elsewhere (its node is being drained), as a rollout replaces one: a new instance of the same
   * release and type starts where the runtime places it (never on a node that takes no new instances), answers its
   * health check and joins the routes; only then is the old one taken out of the routes, let finish its requests
   * and stopped. Resolves once the replacement serves, with the old one's retirement (it ends after the drain
   * time); null when there was nothing to move: the instance no longer serves (a deploy, scale or stop replaced it
   * meanwhile), and then a replacement already started is stopped again.
   */
  async move(old: StoredInstance, log: (line: string) => void): Promise<{ replacement: StoredInstance; retired: Promise<void> } | null> {
    const serving = () => {
      const now = this.store.instances.get(old.id);
      const app = this.store.apps.get(old.app);
      return now?.state === 'up' && !this.instances.isRetiring(old.id) && app?.state === 'running' && app.currentRelease === old.release;
    };
    const release = this.store.releases.get(old.app, old.release);
    if (!release || !serving()) return null;
    const [inst] = await this.startGated(release, [old.type], log);
    if (!inst) return null;
    if (!serving()) {
      await this.instances.stop(inst);
      return null;
    }
    this.store.instances.save({ ...inst, state: 'up' });
    await this.changed(old.app);
    const retired = this.instances.retire([old], this.opts.drainMs);
    await this.changed(old.app);
    return { replacement: this.store.instances.get(inst.id) ?? inst, retired };
  }

  /** Launches instances in the order their health checks allow (start-gated.ts); on any failure stops them all and throws. */
  private startGated(release: Release, types: string[], log: (line: string) => void): Promise<StoredInstance[]> {
    return startGated(this.instances, release, types, this.opts.startTimeoutMs, log);
  }

  /** Changes how many instances of each type run, starting or retiring only the difference. */
  async scale(appName: string, changes: Record<string, number>): Promise<Record<string, number>> {
    const app = this.store.apps.require(appName);
    const release = this.store.releases.current(app.name);
    const types = release ? processTypes(release) : null;
    for (const [type, n] of Object.entries(changes)) {
      if (!isProcessType(type)) throw new UserError(`invalid process type ${JSON.stringify(type)}`, 'e.g. `minicloud ps:scale web=2`');
      if (types && !types.includes(type)) throw new UserError(`${app.name} has no ${type} process`, `its Procfile defines: ${types.join(', ')}`);
      if (!Number.isInteger(n) || n < 0 || n > MAX_SCALE) throw new UserError(`${type}=${n}: the count must be a whole number from 0 to ${MAX_SCALE}`);
      if (n > 1 && release && isStateful(release, type)) throw new UserError(`${type}=${n}: ${type} runs its own image with its own volume (a database's files), so it runs once`, `scale it to 0 or 1: \`minicloud ps:scale ${app.name} ${type}=1\``);
    }
    this.store.formation.set(app.name, changes);
    if (release && app.state === 'running') await this.reconcile(release);
    return release ? this.wanted(release) : this.store.formation.get(app.name);
  }

  private async reconcile(release: Release): Promise<void> {
    const serving = this.instances.serving(release.app, release.version);
    const extra: string[] = [];
    const surplus: StoredInstance[] = [];
    for (const [type, n] of Object.entries(this.wanted(release))) {
      const mine = serving.filter((i) => i.type === type);
      extra.push(...Array<string>(Math.max(0, n - mine.length)).fill(type));
      surplus.push(...mine.slice(n));
    }
    if (surplus.length) {
      const done = this.instances.retire(surplus, this.opts.drainMs);
      await this.changed(release.app);
      await done;
    }
    if (extra.length) {
      const started = await this.startGated(release, extra, () => {});
      for (const inst of started) this.store.instances.save({ ...inst, state: 'up' });
      await this.changed(release.app);
    }
  }

  /** A sleeping app: the runtime readies what its wake would wait for (see Runtime.prewarm). */
  async prewarm(app: string): Promise<void> {
    const release = this.store.releases.current(app);
    const types = release ? Object.entries(this.wanted(release)).flatMap(([type, n]) => Array<string>(n).fill(type)) : [];
    await this.instances.runtime.prewarm?.(app, release ? this.instances.park(release, types) : []);
  }

  async stopApp(app: string): Promise<void> {
    const instances = this.store.instances.list(app);
    await Promise.all(instances.map((i) => this.instances.stop(i)));
    await this.changed(app);
  }

  /** Tells the routes an app's instances changed; resolves once the router serves with the change. */
  private async changed(app: string): Promise<void> {
    this.emit('changed', app);
    await this.opts.published?.();
  }

  /** After minicloud restarts: re-attach live instances, replace dead ones, drop strays. */
  async restore(): Promise<void> {
    for (const app of this.store.apps.list()) {
      await this.restoreApp(app).catch((e) => this.emit('error', e)); // one broken app must not hold up the rest
    }
  }

  private async restoreApp(app: App): Promise<void> {
    const current = app.currentRelease;
    for (const i of this.store.instances.list(app.name)) {
      const alive = i.handle ? await this.instances.runtime.adopt(i.handle) : false;
      // One that was draining when minicloud stopped has had its time.
      const wanted = app.state === 'running' && i.release === current && i.state !== 'draining';
      if (alive && wanted) {
        if (i.state === 'starting') this.store.instances.save({ ...i, state: 'up' });
        continue;
      }
      if (alive) await this.instances.stop(i);
      else if (wanted) await this.supervisor.restart(i.id);
      else this.store.instances.delete(i.id);
    }
    const release = current ? this.store.releases.get(app.name, current) : null;
    if (release && app.state === 'running') await this.reconcile(release).catch((e) => this.emit('error', e));
    if (app.state === 'sleeping') await this.prewarm(app.name); // what a wake waits for, readied again
    this.emit('changed', app.name);
  }

  close(): void {
    this.supervisor.close();
    this.instances.close();
  }
}
