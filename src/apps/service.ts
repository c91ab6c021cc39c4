// What minicloud does for apps, apart from HTTP: create, destroy, change config, restart, and deploys waited for.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, checkConfigChanges, validateNewAppName, type App, type AppSettingsRequest, type Deploy } from '../core/index.ts';
import type { GitServer } from '../intake/index.ts';
import type { DeployLog } from '../log/index.ts';
import type { Formation } from '../processes/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import { submitDeploy, type JobSpec } from '../intake/index.ts';
import type { Store } from '../store/index.ts';
import { renameApp, type RenameDeps } from './rename.ts';

export interface AppsDeps extends RenameDeps {
  store: Store;
  git: GitServer;
  queue: DeployQueue;
  log: DeployLog;
  formation: Formation;
  appUrl: (app: string) => string;
  /** Directories holding per-app files, removed with the app. */
  appDirs: (app: string) => string[];
  /** Runs before an app's records go (its add-ons' databases and users are dropped). */
  beforeDestroy?: (app: string) => Promise<void>;
}

/** Config vars to set (a string) or unset (null), as parseConfigChanges checked them. */
export type ConfigChanges = Record<string, string | null>;

export class AppsService {
  constructor(private readonly d: AppsDeps) {}

  async create(name: string): Promise<App> {
    const app = validateNewAppName(name);
    const created = this.d.store.apps.create(app);
    this.d.git.createRepo(app);
    await this.d.queue.watch(app);
    return created;
  }

  async destroy(name: string, confirm: string | undefined): Promise<void> {
    const app = this.d.store.apps.require(name);
    if (confirm !== app.name) {
      throw new UserError(`destroying ${app.name} deletes its code, releases and config`, `confirm with \`minicloud apps:destroy ${app.name} --confirm ${app.name}\``);
    }
    this.d.store.apps.setState(app.name, 'stopped');
    await this.d.queue.forget(app.name);
    await this.d.formation.stopApp(app.name);
    await this.d.beforeDestroy?.(app.name);
    this.d.store.apps.delete(app.name);
    for (const dir of [this.d.git.repoDir(app.name), ...this.d.appDirs(app.name)]) rmSync(dir, { recursive: true, force: true });
  }

  /** `apps:set`: the deploy branch (git pushes and the GitHub webhook's default follow it). */
  update(name: string, settings: AppSettingsRequest): App {
    const app = this.d.store.apps.require(name);
    if (settings.branch !== undefined) this.d.store.apps.setDeployBranch(app.name, settings.branch);
    return this.d.store.apps.require(app.name);
  }

  /** maintenance:on|off: the router answers visitors with its maintenance page; the app's instances run on. */
  setMaintenance(name: string, on: boolean): App {
    const app = this.d.store.apps.require(name);
    this.d.store.apps.setMaintenance(app.name, on);
    return this.d.store.apps.require(app.name);
  }

  /** Sets (string) and unsets (null) config vars; a running app restarts with them as a new release. */
  async updateConfig(name: string, changes: ConfigChanges): Promise<{ config: Record<string, string>; deploy: Deploy | null }> {
    const app = this.d.store.apps.require(name);
    checkConfigChanges(this.d.store.configVars.get(app.name), changes);
    if (!app.currentRelease) return { config: this.d.store.configVars.update(app.name, changes), deploy: null };
    const set = Object.keys(changes).filter((k) => changes[k] !== null);
    const unset = Object.keys(changes).filter((k) => changes[k] === null);
    const description = [set.length ? `Set ${set.join(', ')}` : '', unset.length ? `Unset ${unset.join(', ')}` : ''].filter(Boolean).join('; ');
    // The change rides in the release (stopped and sleeping apps get it too); it is kept only once that release is up.
    const deploy = await this.submitAndWait(app.name, 'release', { description, configChanges: changes });
    return { config: this.d.store.configVars.get(app.name), deploy };
  }

  /** apps:rename (apps/rename.ts). */
  rename(from: string, to: string): Promise<App> {
    return renameApp(this.d, from, to, (app) => this.restart(app));
  }

  async restart(name: string): Promise<Deploy> {
    const app = this.d.store.apps.require(name);
    if (!app.currentRelease) throw new UserError(`${app.name} has nothing to restart yet`, 'deploy it first with `git push minicloud main`');
    return this.runAndWait(app.name, 'restart');
  }

  /** Queues behind any build of the same app, then waits for the outcome. */
  runAndWait(app: string, kind: Deploy['kind'], description?: string, targetRelease?: number): Promise<Deploy> {
    return this.submitAndWait(app, kind, { description, targetRelease });
  }

  /** A release carrying config changes, kept as the app's config once it is up; `attachAddon` goes again if it fails. */
  releaseWith(app: string, description: string, configChanges: Record<string, string | null>, attachAddon?: string): Promise<Deploy> {
    return this.submitAndWait(app, 'release', { description, configChanges, ...(attachAddon && { attachAddon }) });
  }

  /** A deploy still queued waits for Redis: while Redis is away its caller gets a 503 saying so, not an endless wait. */
  private async submitAndWait(app: string, kind: Deploy['kind'], spec: JobSpec): Promise<Deploy> {
    const { store, queue } = this.d;
    const deploy = await submitDeploy(store, queue, { app, kind }, spec);
    const abort = new AbortController();
    const check = setInterval(() => {
      if (queue.redis.away && store.deploys.get(deploy.id)?.status === 'queued') abort.abort();
    }, 250);
    try {
      for await (const e of this.d.log.follow(deploy.id, 0, abort.signal)) if (e.type === 'end') break;
    } finally {
      clearInterval(check);
    }
    if (abort.signal.aborted) {
      throw new UserError(`minicloud's job queue (Redis) went away while this waited in it: ${queue.redis.why}`,
        `it runs once Redis is back (or fails with "the queue was lost" if Redis lost it); see \`minicloud releases ${app}\``, 503);
    }
    return store.deploys.get(deploy.id)!;
  }
}

export const appDirs = (p: { builds: string; cache: string; logs: string; github: string; volumes: string }) => (app: string) =>
  [join(p.builds, app), join(p.cache, app), join(p.logs, app), join(p.github, `${app}.git`), join(p.volumes, app)];
