// The deploy script: make the release, run its release phase, roll it out, report; on failure, say what still serves.
import { rmSync } from 'node:fs';
import { createLogger, isUserError, mark, traced, type Deploy, type DeployJob, type Logger, type Release } from '../core/index.ts';
import { AppLocks } from './app-lock.ts';
import type { PipelineDeps, Say } from './deps.ts';
import { DEPLOY_KINDS, type DeployKind } from './kinds.ts';
import { keptRefs, pruneBuilds } from './prune.ts';
import { Releases, sourceTar } from './releases.ts';

export class Pipeline {
  private abandoned = false;
  private readonly locks: AppLocks;
  private readonly inProgress = new Set<string>();
  private readonly releases: Releases;
  private readonly logger: Logger;

  constructor(private readonly d: PipelineDeps) {
    this.logger = d.logger ?? createLogger({ label: 'deploys' });
    this.locks = new AppLocks(d.locksDir);
    this.releases = new Releases(d);
  }

  /** The deploys this process is running (or waiting to run) right now. */
  get running(): ReadonlySet<string> {
    return this.inProgress;
  }

  /**
   * minicloud is stopping: a deploy cut short now is not a failed deploy. Its job stays active in
   * Redis, its lock runs out, and the next minicloud process runs it again from the start.
   */
  abandon(): void {
    this.abandoned = true;
    this.locks.releaseAll();
  }

  /** Was the deploy cut short by the death of the process running it (its lock says so)? Then it can run again at once. */
  orphaned(app: string, deployId: string): boolean {
    return this.locks.leftByDeadProcess(app, deployId);
  }

  /**
   * Runs the deploy under its app's lock: never beside another deploy of the app, even one an earlier
   * minicloud process still runs; a deploy that process finished meanwhile is not run again.
   */
  async run(job: DeployJob): Promise<void> {
    const { deployId } = job;
    const first = this.d.store.deploys.get(deployId);
    if (!first || first.status === 'succeeded' || first.status === 'failed') return;
    const say = (line: string) => this.d.log.append(deployId, line);
    this.inProgress.add(deployId);
    try {
      await this.locks.acquire(first.app, deployId, (h) => say(`-----> Waiting for ${h.deployId === deployId ? 'an earlier run of this deploy' : 'another deploy of ' + first.app} to end (minicloud process ${h.pid})`));
      try {
        // MINICLOUD_LOG_LEVEL=debug: where the deploy's time went (extracted, detected, built, spawned, answered, routed).
        const queued = Date.now() - Date.parse(first.createdAt);
        await traced(this.logger, `deploy ${first.app} (${queued} ms from its push to here)`, () => this.script(job, say));
      } finally {
        if (!this.abandoned) this.locks.release(first.app);
      }
    } finally {
      this.inProgress.delete(deployId);
    }
  }

  /** The deploy itself, step by step. */
  private async script(job: DeployJob, say: Say): Promise<void> {
    const deploy = this.d.store.deploys.get(job.deployId);
    if (!deploy || deploy.status === 'succeeded' || deploy.status === 'failed') return;
    if (deploy.status !== 'queued') say('-----> minicloud restarted during this deploy; starting it again');
    // What its start waits for that no release decides (host: the port's firewall rules, 0.1-0.3 s on a loaded
    // machine), readied while it builds, and waited for before the start takes it; a stopped app starts nothing.
    const ready = this.d.store.apps.get(deploy.app)?.state === 'stopped' ? null : this.d.readyStart?.(deploy.app).catch(() => {});
    const kind = DEPLOY_KINDS[deploy.kind];
    let result: Deploy;
    try {
      const release = await kind.release(this.releases, deploy, job, say);
      this.releasing(deploy, release, say);
      mark('release made');
      if (kind.releasePhase) await this.d.formation.releasePhase(release, say);
      await ready;
      await this.start(release, say);
      this.keep(deploy, kind, release);
      await this.syncCron(release, say);
      result = this.d.store.deploys.update(deploy.id, { status: 'succeeded' });
    } catch (e) {
      if (this.abandoned) return handedToNextProcess();
      result = await this.failed(deploy, kind, e, say);
    }
    await this.cleanUp(deploy);
    this.d.log.end(result);
  }

  private releasing(deploy: Deploy, release: Release, say: Say): void {
    this.d.store.deploys.update(deploy.id, { status: 'releasing', release: release.version });
    say(`-----> Releasing v${release.version}`);
  }

  /** Rolls the release out, unless the app runs nothing now (stopped, asleep): then it is what starts next. */
  private async start(release: Release, say: Say): Promise<void> {
    const { store } = this.d;
    const app = store.apps.require(release.app);
    if (app.state === 'stopped') {
      store.apps.setCurrentRelease(app.name, release.version);
      this.d.routesChanged?.(app.name);
      say(`-----> ${app.name} is stopped: v${release.version} starts with \`minicloud apps:start ${app.name}\``);
      return;
    }
    if (app.state === 'sleeping') {
      store.apps.setCurrentRelease(app.name, release.version);
      this.d.routesChanged?.(app.name);
      say(`-----> ${app.name} is asleep: its next request starts v${release.version}`);
      void this.d.formation.prewarm?.(app.name).catch(() => {}); // its wake's instances readied for this release now
      return;
    }
    await this.d.formation.rollout(release, say);
    say(`-----> v${release.version} is live at ${this.d.appUrl(app.name)}`);
  }

  /** The release is up: it succeeded, and the app's config becomes what the deploy kind says. */
  private keep(deploy: Deploy, kind: DeployKind, release: Release): void {
    const { store } = this.d;
    store.releases.setStatus(release.app, release.version, 'succeeded');
    if (kind.config === 'release') store.configVars.replace(deploy.app, release.config);
    if (kind.config !== 'changes') return;
    const changes = store.deployJobs.get(deploy.id).configChanges;
    if (changes) store.configVars.update(deploy.app, changes);
  }

  /** The current release's cron entries replace the app's schedules; a failure here does not undo the release. */
  private async syncCron(release: Release, say: Say): Promise<void> {
    if (!this.d.syncCron) return;
    const entries = release.artifact.manifest?.cron ?? [];
    try {
      await this.d.syncCron(release.app, entries);
      for (const e of entries) say(`-----> cron: \`${e.command}\` on \`${e.schedule}\``);
    } catch (e) {
      say(` !     cron schedules not updated: ${(e as Error).message}`);
    }
  }

  /** Tells the user why, and what serves now: the release before, or nothing. */
  private async failed(deploy: Deploy, kind: DeployKind, e: unknown, say: Say): Promise<Deploy> {
    const { store } = this.d;
    const failedRelease = store.deploys.get(deploy.id)?.release;
    if (failedRelease) store.releases.setStatus(deploy.app, failedRelease, 'failed');
    const message = isUserError(e) ? e.message : `internal error: ${(e as Error).message}`;
    if (!isUserError(e)) this.logger.error(`deploy ${deploy.id} of ${deploy.app} failed:`, e);
    say(` !     ${message}`);
    if (isUserError(e) && e.hint) say(` !     ${e.hint}`);
    if (kind.config === 'release' || store.deployJobs.get(deploy.id).configChanges) say(' !     the config vars were left as they were');
    await this.undoAttach(deploy, say);
    const current = store.apps.get(deploy.app)?.currentRelease;
    say(current ? ` !     v${current} is still serving` : ' !     nothing was deployed');
    return store.deploys.update(deploy.id, { status: 'failed', error: message });
  }

  /** An add-on attached by this failed release is not left half-attached: it goes again (its vars were never kept). */
  private async undoAttach(deploy: Deploy, say: Say): Promise<void> {
    const kind = this.d.store.deployJobs.get(deploy.id).attachAddon;
    if (!kind || !this.d.detachAddon) return;
    await this.d.detachAddon(deploy.app, kind, say).catch((e: unknown) => {
      say(` !     the ${kind} add-on could not be dropped: ${(e as Error).message}; remove it with \`minicloud addons:destroy ${deploy.app} ${kind} --confirm ${deploy.app}\``);
    });
  }

  /** The pushed archive, builds no release needs, and images no release needs go. */
  private async cleanUp(deploy: Deploy): Promise<void> {
    const { store } = this.d;
    rmSync(sourceTar(this.d.sourcesDir, deploy.id), { force: true });
    pruneBuilds(store, this.d.buildsDir, deploy.app);
    await this.d.builder.prune?.(deploy.app, keptRefs(store, deploy.app)).catch((e: unknown) => this.logger.warn(`pruning ${deploy.app}'s images:`, e));
  }
}

/**
 * A deploy cut short by minicloud stopping: it neither succeeds nor fails here, so its job never settles in this
 * process and stays active in Redis, for the next process to run from the start.
 */
function handedToNextProcess(): Promise<never> {
  return new Promise<never>(() => {});
}
