// An app's releases: the list, one release in full, and what changed between two (config var names only, never values).
import { Router } from 'express';
import { NotFoundError, diffReleases, releaseInfo, releaseSummary, type Release, type ReleaseDiff, type ReleaseInfo, type ReleaseSummary } from '../core/index.ts';
import { appParam, versionParam } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function releasesRoutes(d: RouteDeps): Router {
  const r = Router();
  const release = (app: string, version: number): Release => {
    const found = d.store.releases.get(app, version);
    if (!found) throw new NotFoundError(`${app} has no release v${version}`, `see them with \`minicloud releases ${app}\``);
    return found;
  };
  r.get('/apps/:app/releases', (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const list: ReleaseSummary[] = d.store.releases.list(app.name).map((rel) => releaseSummary(rel, app.currentRelease));
    res.json(list);
  });
  r.get('/apps/:app/releases/:version', (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const info: ReleaseInfo = releaseInfo(release(app.name, versionParam(req, 'version')), app.currentRelease);
    res.json(info);
  });
  r.get('/apps/:app/releases/:from/diff/:to', (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const [from, to] = [release(app.name, versionParam(req, 'from')), release(app.name, versionParam(req, 'to'))];
    const diff: ReleaseDiff = diffReleases(from, to, app.currentRelease);
    res.json(diff);
  });
  return r;
}
