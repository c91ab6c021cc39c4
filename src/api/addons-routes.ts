// REST routes for add-ons: list, create, info, destroy.
import { Router } from 'express';
import { parseAddonKind } from '../addons/index.ts';
import { appParam, confirmParam, param } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function addonRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/apps/:app/addons', (req, res) => { res.json(d.addons.list(appParam(req))); });
  r.post('/apps/:app/addons', async (req, res) => {
    res.status(201).json(await d.addons.create(appParam(req), parseAddonKind((req.body as { kind?: unknown } | undefined)?.kind)));
  });
  r.get('/apps/:app/addons/:kind', async (req, res) => { res.json(await d.addons.info(appParam(req), param(req, 'kind'))); });
  r.delete('/apps/:app/addons/:kind', async (req, res) => {
    res.json({ deploy: await d.addons.destroy(appParam(req), parseAddonKind(param(req, 'kind')), confirmParam(req)) });
  });
  return r;
}
