// The deploy orchestrator: reads like the script it runs: build, release, roll out, report.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, createLogger, isUserError, type Artifact, type Deploy, type Logger, type Manifest, type Release } from '../core/index.ts';
import { checkSourceArchive, detect, planFor, readManifest, type Builder, type Buildpack, type RegistryAuth } from '../build/index.ts';
import type { DeployLog } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { keptRefs, pruneBuilds } from './prune.ts';
import type { Formation } from '../processes/index.ts';
import { rollbackRelease } from './rollback.ts';
import { AppLocks } from './app-lock.ts';

export interface PipelineDeps {
  store: Store;
  log: Pick<DeployLog, 'append' | 'end'>;
  builder: Builder;
  buildpacks: Buildpack[];
  formation: Formation;
  sourcesDir: string;
  buildsDir: string;
  /** The most a pushed tree may hold, unpacked (MINICLOUD_MAX_SOURCE_MB). */
  maxSourceBytes?: number;
  appUrl: (app: string) => string;
  /** Provisions what the manifest `needs` (add-ons) before the first release that needs them. */
  provision?: (app: string, needs: NonNullable<Manifest['needs']>, say: (l: string) => void) => Promise<void>;
  /** Drops an add-on whose attach rode in a release that failed (its config vars were never kept). */
  detachAddon?: (app: string, kind: string, say: (l: string) => void) => Promise<void>;
  /** Makes the app's cron schedules those of the release that just became current. */
  syncCron?: (app: string, entries: NonNullable<Manifest['cron']>) => Promise<void>;
  /** Image deploys (Docker runtime only): pulls and tags a published image as release `version`. */
  images?: { import(req: { app: string; image: string; version: number; auth?: RegistryAuth; log: (l: string) => void }): Promise<Artifact> };
  /** Writes the deploy's commit as a tar archive to `tarFile` (webhook deploys). */
  fetchSource?: (deploy: Deploy, repo: string, tarFile: string, say: (l: string) => void) => Promise<void>;
  /** Where the per-app deploy locks live (shared by every minicloud process on this data dir). */
  locksDir: string;
  /** The operator's log (not the deploy's own, which is `log`): internal errors, failed image prunes. */
  logger?: Logger;
}

export interface RunOptions {
  description?: string;
  /** Rollback: the release to go back to; unset: the one before the current. */
  targetRelease?: number;
  /** A webhook deploy: the linked GitHub repository (owner/repo) its commit is fetched from (a git push brings its own archive). */
  fetchFrom?: string;
  /** An image deploy's registry credentials, when the registry needs them. */
  registryAuth?: RegistryAuth;
  /** The deploy was given credentials (held in memory by the process that queued it, never in Redis). */
  registryAuthHeld?: boolean;
}

const DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024 * 1024;

export const sourceTar = (sourcesDir: string, deployId: string) => join(sourcesDir, `${deployId}.tar`);

export class Pipeline {
  private abandoned = false;
  private readonly locks: AppLocks;
  private readonly inProgress = new Set<string>();

  private readonly logger: Logger;

  constructor(private readonly d: PipelineDeps) {
    this.logger = d.logger ?? createLogger({ label: 'deploys' });
    this.locks = new AppLocks(d.locksDir);
  }

  /** The deploys this process is running (or waiting to run) right now. */
  get running(): ReadonlySet<string> {
    return this.inProgress;
  }

  /** Was the deploy cut short by the death of the process running it (its lock says so)? Then it can run again at once. */
  orphaned(app: string, deployId: string): boolean {
    return this.locks.leftByDeadProcess(app, deployId);
  }

  /**
   * minicloud is stopping: a deploy cut short now is not a failed deploy. Its job stays active in
   * Redis, its lock runs out, and the next minicloud process runs it again from the start.
   */
  abandon(): void {
    this.abandoned = true;
    this.locks.releaseAll();
  }

  /**
   * Runs the deploy under its app's lock: never beside another deploy of the app, even one an earlier
   * minicloud process still runs; a deploy that process finished meanwhile is not run again.
   */
  async run(deployId: string, job: RunOptions = {}): Promise<void> {
    const first = this.d.store.deploys.get(deployId);
    if (!first || first.status === 'succeeded' || first.status === 'failed') return;
    const say = (line: string) => this.d.log.append(deployId, line);
    this.inProgress.add(deployId);
    try {
      await this.locks.acquire(first.app, deployId, (h) => say(`-----> Waiting for ${h.deployId === deployId ? 'an earlier run of this deploy' : 'another deploy of ' + first.app} to end (minicloud process ${h.pid})`));
      try {
        await this.runLocked(deployId, job, say);
      } finally {
        if (!this.abandoned) this.locks.release(first.app);
      }
    } finally {
      this.inProgress.delete(deployId);
    }
  }

  private async runLocked(deployId: string, job: RunOptions, say: (l: string) => void): Promise<void> {
    const { store } = this.d;
    const deploy = store.deploys.get(deployId);
    if (!deploy || deploy.status === 'succeeded' || deploy.status === 'failed') return;
    if (deploy.status !== 'queued') say('-----> minicloud restarted during this deploy; starting it again');
    let result: Deploy;
    try {
      const release = await this.release(deploy, job, say);
      store.deploys.update(deployId, { status: 'releasing', release: release.version });
      say(`-----> Releasing v${release.version}`);
      if (deploy.kind === 'build' || deploy.kind === 'release' || deploy.kind === 'image') await this.d.formation.releasePhase(release, say);
      await this.start(release, say);
      store.releases.setStatus(release.app, release.version, 'succeeded');
      keepConfig(store, deploy, release);
      await this.syncCron(release, say);
      result = store.deploys.update(deployId, { status: 'succeeded' });
    } catch (e) {
      if (this.abandoned) return new Promise<never>(() => {});
      const failedRelease = store.deploys.get(deployId)?.release;
      if (failedRelease) store.releases.setStatus(deploy.app, failedRelease, 'failed');
      const message = isUserError(e) ? e.message : `internal error: ${(e as Error).message}`;
      if (!isUserError(e)) this.logger.error(`deploy ${deployId} of ${deploy.app} failed:`, e);
      say(` !     ${message}`);
      if (isUserError(e) && e.hint) say(` !     ${e.hint}`);
      if (deploy.kind === 'rollback' || store.deployJobs.get(deployId).configChanges) say(' !     the config vars were left as they were');
      await this.undoAttach(deploy, say);
      const current = store.apps.get(deploy.app)?.currentRelease;
      say(current ? ` !     v${current} is still serving` : ' !     nothing was deployed');
      result = store.deploys.update(deployId, { status: 'failed', error: message });
    }
    rmSync(sourceTar(this.d.sourcesDir, deployId), { force: true });
    pruneBuilds(store, this.d.buildsDir, deploy.app);
    await this.d.builder.prune?.(deploy.app, keptRefs(store, deploy.app)).catch((e: unknown) => this.logger.warn(`pruning ${deploy.app}'s images:`, e));
    this.d.log.end(result);
  }

  /** An add-on attached by this failed release is not left half-attached: it goes again (its vars were never kept). */
  private async undoAttach(deploy: Deploy, say: (l: string) => void): Promise<void> {
    const kind = this.d.store.deployJobs.get(deploy.id).attachAddon;
    if (!kind || !this.d.detachAddon) return;
    await this.d.detachAddon(deploy.app, kind, say).catch((e: unknown) => {
      say(` !     the ${kind} add-on could not be dropped: ${(e as Error).message}; remove it with \`minicloud addons:destroy ${deploy.app} ${kind} --confirm ${deploy.app}\``);
    });
  }

  /** What the manifest asks for beyond the build: backing services and cron. */
  private async satisfyNeeds(app: string, m: Manifest, say: (l: string) => void): Promise<void> {
    if (m.needs?.length) {
      if (!this.d.provision) {
        throw new UserError(`cloud_manifest.yml: needs: ${m.needs.join(', ')} is not available yet on this minicloud`, 'remove `needs` from the manifest, or set the services up by hand with config vars');
      }
      await this.d.provision(app, m.needs, say);
    }
    if (m.cron?.length && !this.d.syncCron) {
      say(' !     cron entries are not scheduled: this minicloud runs no cron');
    }
  }

  /** The current release's cron entries replace the app's schedules; a failure here does not undo the release. */
  private async syncCron(release: Release, say: (l: string) => void): Promise<void> {
    if (!this.d.syncCron) return;
    const entries = release.artifact.manifest?.cron ?? [];
    try {
      await this.d.syncCron(release.app, entries);
      for (const e of entries) say(`-----> cron: \`${e.command}\` on \`${e.schedule}\``);
    } catch (e) {
      say(` !     cron schedules not updated: ${(e as Error).message}`);
    }
  }

  /** Rolls the release out, unless the app runs nothing now (stopped, asleep): then it is what starts next. */
  private async start(release: Release, say: (l: string) => void): Promise<void> {
    const { store } = this.d;
    const app = store.apps.require(release.app);
    if (app.state === 'stopped') {
      store.apps.setCurrentRelease(app.name, release.version);
      say(`-----> ${app.name} is stopped: v${release.version} starts with \`minicloud apps:start ${app.name}\``);
      return;
    }
    if (app.state === 'sleeping') {
      store.apps.setCurrentRelease(app.name, release.version);
      say(`-----> ${app.name} is asleep: its next request starts v${release.version}`);
      return;
    }
    await this.d.formation.rollout(release, say);
    say(`-----> v${release.version} is live at ${this.d.appUrl(app.name)}`);
  }

  /** A build makes a new release from new code; a config change, restart or rollback reuses a build. */
  private async release(deploy: Deploy, job: RunOptions, say: (l: string) => void): Promise<Release> {
    const { store } = this.d;
    if (deploy.kind === 'build') return this.build(deploy, job, say);
    if (deploy.kind === 'image') return this.importImage(deploy, job, say);
    const current = store.releases.current(deploy.app);
    if (!current) throw new UserError(`${deploy.app} has no release yet`, 'deploy it first with `git push minicloud main`');
    if (deploy.kind === 'restart') return current;
    if (deploy.kind === 'rollback') return rollbackRelease(store, current, job.targetRelease, say);
    // A config change lives in the release only; the app's config takes it once the release is up (keepConfig).
    const changes = store.deployJobs.get(deploy.id).configChanges ?? {};
    return store.releases.create({
      app: deploy.app, artifact: current.artifact, commit: current.commit, commitAuthor: current.commitAuthor, commitMessage: current.commitMessage,
      description: job.description ?? 'Config change', config: withChanges(store.configVars.get(deploy.app), changes),
    });
  }

  private async importImage(deploy: Deploy, job: RunOptions, say: (l: string) => void): Promise<Release> {
    const { store } = this.d;
    if (!this.d.images) throw new UserError('image deploys need the Docker runtime, and this minicloud runs apps as host processes', 'start minicloud where a Docker engine answers (or set DOCKER_HOST), or deploy with `git push`');
    store.deploys.update(deploy.id, { status: 'building' });
    if (job.registryAuthHeld && !job.registryAuth) {
      throw new UserError('registry credentials were lost in a restart; deploy again', `they are kept in memory only, never stored: run \`minicloud deploy ${deploy.app} --image ${deploy.ref} --registry-user …\` again`);
    }
    const artifact = await this.d.images.import({ app: deploy.app, image: deploy.ref!, version: store.releases.nextVersion(deploy.app), auth: job.registryAuth, log: say });
    await this.satisfyNeeds(deploy.app, artifact.manifest ?? {}, say);
    return store.releases.create({
      app: deploy.app, artifact, commit: null, description: `Deploy image ${deploy.ref}`, config: store.configVars.get(deploy.app),
    });
  }

  private async build(deploy: Deploy, job: RunOptions, say: (l: string) => void): Promise<Release> {
    const { store } = this.d;
    store.deploys.update(deploy.id, { status: 'building' });
    const short = deploy.commit?.slice(0, 7) ?? 'unknown';
    say(`-----> Building ${deploy.app} from ${deploy.ref ?? 'push'} (${short})`);
    const tar = sourceTar(this.d.sourcesDir, deploy.id);
    if (job.fetchFrom && this.d.fetchSource) await this.d.fetchSource(deploy, job.fetchFrom, tar, say);
    if (!existsSync(tar)) throw new Error(`source archive ${tar} is missing`);
    await checkSourceArchive(tar, this.d.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES);
    const dir = join(this.d.buildsDir, deploy.app, deploy.id);
    await this.d.builder.unpack(tar, dir);
    try {
      const pack = detect(dir, this.d.buildpacks);
      say(`-----> ${pack.name} app detected`);
      const manifest = readManifest(dir); // a bad manifest fails before the slow part
      await this.satisfyNeeds(deploy.app, manifest, say);
      const plan = planFor(dir, pack);
      const config = store.configVars.get(deploy.app);
      const artifact = await this.d.builder.build({
        app: deploy.app, sourceDir: dir, plan, config, log: say, manifest, sourceTar: tar, commit: deploy.commit,
        version: store.releases.nextVersion(deploy.app), // exact: one deploy of an app runs at a time
      });
      say(`-----> Build succeeded; processes: ${Object.keys(artifact.processes).join(', ')}`);
      return store.releases.create({
        app: deploy.app, artifact, commit: deploy.commit, commitAuthor: deploy.commitAuthor, commitMessage: deploy.commitMessage,
        description: `Deploy ${short}`, config,
      });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
}

/** The config with sets (string) and unsets (null) applied. */
export function withChanges(config: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const next = { ...config };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** A config change or rollback becomes the app's config once its release is up; one that failed leaves it as it was. */
function keepConfig(store: Store, deploy: Deploy, release: Release): void {
  if (deploy.kind === 'rollback') store.configVars.replace(deploy.app, release.config);
  if (deploy.kind !== 'release') return;
  const changes = store.deployJobs.get(deploy.id).configChanges;
  if (changes) store.configVars.update(deploy.app, changes);
}
