// apps:rename: the app's rows, repository, directories, images and users moved to the new name; the default URL
// moves with it, custom domains, add-ons (their credentials unchanged), volumes, logs and releases are kept.
import { existsSync, renameSync } from 'node:fs';
import { UserError, validateNewAppName, type App, type Deploy } from '../core/index.ts';
import type { GitServer } from '../intake/index.ts';
import type { Formation } from '../processes/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';

/** What a rename needs of the app service's parts (AppsDeps extends it). */
export interface RenameDeps {
  store: Store;
  git: GitServer;
  queue: DeployQueue;
  formation: Formation;
  appDirs: (app: string) => string[];
  /** Each part's share (images retagged, the app's user renamed, schedules dropped), before the rows move. */
  beforeRename?: (from: string, to: string) => Promise<void>;
  /** The strings in stored artifacts that name the app's builds (a directory, an image) and what they become. */
  artifactPaths?: (from: string, to: string) => { from: string; to: string }[];
}

const DEPLOYING = new Set(['queued', 'building', 'releasing']);

/** Why `from` may not be renamed to `to` now, as an error; the app's record when it may. */
function check(d: RenameDeps, from: string, to: string): App {
  const app = d.store.apps.require(from);
  validateNewAppName(to);
  if (to === app.name) throw new UserError(`${app.name} is already called ${to}`);
  if (d.store.apps.get(to)) throw new UserError(`app ${to} already exists`, 'pick another name', 409);
  const preview = d.store.previews.get(app.name);
  if (preview) throw new UserError(`${app.name} is a preview of ${preview.parent}, named after its branch`, 'previews keep their names; rename the parent instead', 409);
  const busy = d.store.deploys.list(app.name).find((x) => DEPLOYING.has(x.status));
  if (busy) {
    throw new UserError(`${app.name} cannot be renamed while it deploys: deploy ${busy.id.slice(0, 8)} is ${busy.status}`,
      `its repository, build and release are under the old name until it ends: follow it with \`minicloud logs ${app.name} --build -f\`, then rename`, 409);
  }
  return app;
}

/** `restart`: the service's, waited for (the app's instances again, under the new name). */
export async function renameApp(d: RenameDeps, from: string, to: string, restart: (app: string) => Promise<Deploy>): Promise<App> {
  const app = check(d, from, to);
  // Nothing of it runs meanwhile: no restart by the supervisor, no wake, no queued job under the old name.
  d.store.apps.setState(app.name, 'stopped');
  try {
    await d.queue.forget(app.name);
    await d.formation.stopApp(app.name);
    await d.beforeRename?.(app.name, to);
    const news = d.appDirs(to);
    const dirs: [string, string][] = [[d.git.repoDir(app.name), d.git.repoDir(to)], ...d.appDirs(app.name).map((dir, i): [string, string] => [dir, news[i]!])];
    for (const [a, b] of dirs) if (existsSync(a)) renameSync(a, b);
    d.store.renameApp(app.name, to, d.artifactPaths?.(app.name, to) ?? []);
  } catch (e) {
    if (d.store.apps.get(app.name)) d.store.apps.setState(app.name, app.state);
    throw e;
  }
  d.store.apps.setState(to, app.state);
  d.git.installHook(to);
  await d.queue.watch(to);
  // Running again under its new name (and its cron schedules with it); a sleeping app wakes at its next request.
  if (app.currentRelease !== null && app.state === 'running') {
    const restarted = await restart(to);
    if (restarted.status === 'failed') throw new UserError(`${to} was renamed, but did not start again: ${restarted.error ?? 'see its logs'}`, `see \`minicloud logs ${to}\``);
  }
  return d.store.apps.require(to);
}
