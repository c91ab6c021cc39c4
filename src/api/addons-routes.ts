// REST routes for add-ons: list, create, info, destroy.
import { Router, type Request } from 'express';
import { parseAddonKind } from '../addons/index.ts';
import type { AddonsService } from './addons-service.ts';

const app = (req: Request) => String(req.params.app);

export function addonRoutes(a: AddonsService): Router {
  const r = Router();
  r.get('/apps/:app/addons', (req, res) => { res.json(a.list(app(req))); });
  r.post('/apps/:app/addons', async (req, res) => {
    res.status(201).json(await a.create(app(req), parseAddonKind((req.body as { kind?: unknown } | undefined)?.kind)));
  });
  r.get('/apps/:app/addons/:kind', (req, res) => { res.json(a.info(app(req), String(req.params.kind))); });
  r.delete('/apps/:app/addons/:kind', async (req, res) => {
    res.json({ deploy: await a.destroy(app(req), String(req.params.kind), req.query.confirm) });
  });
  return r;
}
