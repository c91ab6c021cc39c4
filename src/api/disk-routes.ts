// REST routes for disk hygiene (admins: the whole server's disk): what uses it (`minicloud df`), and a prune.
import { Router } from 'express';
import { UserError } from '../core/index.ts';
import { parsePruneRequest } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function diskRoutes(d: RouteDeps): Router {
  const r = Router();
  const disk = () => {
    if (!d.disk) throw new UserError('disk hygiene is not enabled on this server', undefined, 503);
    return d.disk;
  };
  r.get('/disk', async (_req, res) => { res.json(await disk().usage()); });
  r.post('/prune', async (req, res) => { res.json(await disk().prune(parsePruneRequest(req.body))); });
  return r;
}
