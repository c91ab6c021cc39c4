// Making the release a deploy rolls out: built from pushed code, imported from an image, or an earlier one's build reused.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, mark, type Deploy, type DeployJob, type Manifest, type Release } from '../core/index.ts';
import { checkSourceArchive, detect, planFor, readManifest, treeCompose } from '../build/index.ts';
import { BUILT, applyCompose, composeArtifact, importCompose } from './compose-release.ts';
import type { PipelineDeps, Say } from './deps.ts';

const DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024 * 1024;

export const sourceTar = (sourcesDir: string, deployId: string) => join(sourcesDir, `${deployId}.tar`);

export class Releases {
  constructor(private readonly d: PipelineDeps) {}

  /** New code: the pushed (or fetched) tree, built. */
  async build(deploy: Deploy, job: DeployJob, say: Say): Promise<Release> {
    const { store } = this.d;
    this.d.checkFreeSpace?.(`a build of ${deploy.app}`);
    store.deploys.update(deploy.id, { status: 'building' });
    const short = deploy.commit?.slice(0, 7) ?? 'unknown';
    say(`-----> Building ${deploy.app} from ${deploy.ref ?? 'push'} (${short})`);
    const tar = sourceTar(this.d.sourcesDir, deploy.id);
    if (job.fetchFrom && this.d.fetchSource) await this.d.fetchSource(deploy, job.fetchFrom, tar, say);
    if (!existsSync(tar)) throw new Error(`source archive ${tar} is missing`);
    await checkSourceArchive(tar, this.d.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES);
    const dir = join(this.d.buildsDir, deploy.app, deploy.id);
    await this.d.builder.unpack(tar, dir);
    mark('extracted');
    try {
      const compose = treeCompose(dir, BUILT); // a refused file fails before anything is applied or built
      if (compose) await applyCompose(this.d, deploy.app, compose.file, compose.plan, say);
      if (compose && compose.plan.image !== BUILT) {
        const artifact = await importCompose(this.d, deploy, compose.plan, store.releases.nextVersion(deploy.app), say);
        rmSync(dir, { recursive: true, force: true });
        return store.releases.create({
          app: deploy.app, artifact, commit: deploy.commit, commitAuthor: deploy.commitAuthor, commitMessage: deploy.commitMessage,
          description: `Deploy ${short} (${compose.file})`, config: store.configVars.get(deploy.app),
        });
      }
      const pack = detect(dir, this.d.buildpacks);
      say(`-----> ${pack.name} app detected`);
      mark('detected');
      const manifest = readManifest(dir); // a bad manifest fails before the slow part
      await this.satisfyNeeds(deploy.app, manifest, say);
      const plan = planFor(dir, pack);
      for (const note of plan.notes ?? []) say(`-----> ${note}`);
      const config = store.configVars.get(deploy.app);
      const current = store.releases.current(deploy.app);
      const previous = current?.artifact.kind === 'dir' ? { dir: current.artifact.dir, version: current.version, config: current.config } : undefined;
      const built = await this.d.builder.build({
        app: deploy.app, sourceDir: dir, plan, config, log: say, ...(previous && { previous }), manifest, sourceTar: tar, commit: deploy.commit, preview: store.previews.get(deploy.app) !== null,
        version: store.releases.nextVersion(deploy.app), // exact: one deploy of an app runs at a time
      });
      mark('built');
      const release = compose ? await composeArtifact(this.d, deploy.app, built, compose.plan, store.releases.nextVersion(deploy.app), say) : built;
      say(`-----> Build succeeded; processes: ${Object.keys(release.processes).join(', ')}`);
      return store.releases.create({
        app: deploy.app, artifact: release, commit: deploy.commit, commitAuthor: deploy.commitAuthor, commitMessage: deploy.commitMessage,
        description: `Deploy ${short}`, config,
      });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** A published image, pulled and tagged as the release. */
  async image(deploy: Deploy, job: DeployJob, say: Say): Promise<Release> {
    const { store } = this.d;
    if (!this.d.images) throw new UserError('image deploys need the Docker runtime, and this minicloud runs apps as host processes', 'start minicloud where a Docker engine answers (or set DOCKER_HOST), or deploy with `git push`');
    store.deploys.update(deploy.id, { status: 'building' });
    if (job.registryAuthHeld && !job.registryAuth) {
      throw new UserError('registry credentials were lost in a restart; deploy again', `they are kept in memory only, never stored: run \`minicloud deploy ${deploy.app} --image ${deploy.ref} --registry-user …\` again`);
    }
    const artifact = await this.d.images.import({
      app: deploy.app, image: deploy.ref!, version: store.releases.nextVersion(deploy.app), auth: job.registryAuth, log: say, ...(job.runAs && { runAs: job.runAs }),
    });
    await this.satisfyNeeds(deploy.app, artifact.manifest ?? {}, say);
    // What the deploy said (--commit, --author, --message) wins over what the image's labels say.
    const o = artifact.origin;
    const commit = deploy.commit ?? o?.revision ?? null;
    if (commit) say(`-----> Commit ${commit.slice(0, 7)}${deploy.commit ? '' : ' (the image\'s org.opencontainers.image.revision label)'}`);
    return store.releases.create({
      app: deploy.app, artifact, commit, commitAuthor: deploy.commitAuthor ?? o?.authors ?? null,
      commitMessage: deploy.commitMessage ?? o?.description ?? o?.title ?? null,
      description: job.description ?? `Deploy image ${deploy.ref}`, config: store.configVars.get(deploy.app),
    });
  }

  /** A config change: the current build with the changed config (the app's config takes it once the release is up). */
  configChange(deploy: Deploy, job: DeployJob): Release {
    const { store } = this.d;
    const current = this.current(deploy);
    const changes = store.deployJobs.get(deploy.id).configChanges ?? {};
    return store.releases.create({
      app: deploy.app, artifact: current.artifact, commit: current.commit, commitAuthor: current.commitAuthor, commitMessage: current.commitMessage,
      description: job.description ?? 'Config change', config: withChanges(store.configVars.get(deploy.app), changes),
    });
  }

  /** A new release with an earlier one's build and config (the config vars go back too, as on Heroku). */
  rollback(deploy: Deploy, job: DeployJob, say: Say): Release {
    const { store } = this.d;
    const current = this.current(deploy);
    const app = current.app;
    const target = job.targetRelease;
    const releases = store.releases.list(app);
    const to = target === undefined
      ? releases.find((r) => r.version < current.version && r.status === 'succeeded')
      : releases.find((r) => r.version === target);
    if (!to) {
      throw new UserError(target === undefined ? `${app} has no earlier release to roll back to` : `${app} has no release v${target}`, `see them with \`minicloud releases ${app}\``);
    }
    if (to.status !== 'succeeded') throw new UserError(`v${to.version} never ran successfully (${to.status}); pick another`, `see \`minicloud releases ${app}\``);
    if (to.artifact.kind === 'dir' && !existsSync(to.artifact.dir)) {
      throw new UserError(`the build of v${to.version} has been pruned`, 'deploy its commit again with git push');
    }
    say(`-----> Rolling back to v${to.version} (no build)`);
    // The app's config becomes v<N>'s once this release is up (the kind's `config: 'release'`), not before.
    return store.releases.create({
      app, artifact: to.artifact, commit: to.commit, commitAuthor: to.commitAuthor, commitMessage: to.commitMessage,
      description: `Rollback to v${to.version}`, config: to.config,
    });
  }

  /** The release that runs now (a restart rolls it out again). */
  current(deploy: Deploy): Release {
    const current = this.d.store.releases.current(deploy.app);
    if (!current) throw new UserError(`${deploy.app} has no release yet`, 'deploy it first with `git push minicloud main`');
    return current;
  }

  /** What the manifest asks for beyond the build: backing services and cron. */
  private async satisfyNeeds(app: string, m: Manifest, say: Say): Promise<void> {
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
