// REST routes for storage volumes: add (the app restarts with it), list, remove (the data stays on disk).
import { Router } from 'express';
import { NotFoundError, UserError, validateMountPath } from '../core/index.ts';
import { appParam } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function storageRoutes(d: RouteDeps): Router {
  const r = Router();
  const { store } = d;
  const list = (name: string) => {
    const dirs = new Map(d.formation.volumes(name).map((v) => [v.path, v.hostDir]));
    return store.volumes.list(name).map((v) => ({ path: v.path, hostDir: dirs.get(v.path), createdAt: v.createdAt }));
  };
  const restart = (name: string, why: string) =>
    (store.apps.require(name).currentRelease ? d.service.runAndWait(name, 'release', why) : Promise.resolve(null));

  r.get('/apps/:app/storage', (req, res) => { res.json(list(store.apps.require(appParam(req)).name)); });
  r.post('/apps/:app/storage', async (req, res) => {
    const a = store.apps.require(appParam(req));
    const path = validateMountPath((req.body as { path?: unknown } | undefined)?.path);
    if (store.volumes.list(a.name).some((v) => v.path === path)) throw new UserError(`${a.name} already has storage at ${path}`, `see \`minicloud storage ${a.name}\``, 409);
    const clash = store.volumes.list(a.name).find((v) => path.startsWith(`${v.path}/`) || v.path.startsWith(`${path}/`));
    if (clash) throw new UserError(`${path} overlaps the storage at ${clash.path}`, 'pick a path outside it');
    store.volumes.add(a.name, path);
    const deploy = await restart(a.name, `Add storage ${path}`);
    res.status(201).json({ volume: list(a.name).find((v) => v.path === path), deploy });
  });
  r.delete('/apps/:app/storage', async (req, res) => {
    const a = store.apps.require(appParam(req));
    const path = validateMountPath(req.query.path);
    const hostDir = list(a.name).find((v) => v.path === path)?.hostDir;
    if (!store.volumes.remove(a.name, path)) throw new NotFoundError(`${a.name} has no storage at ${path}`, `see \`minicloud storage ${a.name}\``);
    const deploy = await restart(a.name, `Remove storage ${path}`);
    res.json({ deploy, keptAt: hostDir });
  });
  return r;
}
