// REST routes for an app's certificates: their status, and a forced renewal.
import { Router } from 'express';
import { UserError } from '../core/index.ts';
import { appParam } from './inputs.ts';
import type { CertsView, RouteDeps } from './route-deps.ts';



export function certRoutes(d: RouteDeps): Router {
  const r = Router();
  const { store } = d;
  const need = (): CertsView => {
    const certs = d.certs;
    if (!certs) throw new UserError('this minicloud serves no HTTPS', 'set MINICLOUD_HTTPS_PORT and restart it');
    return certs;
  };
  r.get('/apps/:app/certs', (req, res) => { res.json(need().report(store.apps.require(appParam(req)).name)); });
  // Waits for the orders (up to two minutes), then answers with the new status.
  r.post('/apps/:app/certs/renew', async (req, res) => {
    const app = store.apps.require(appParam(req)).name;
    const domain = (req.body as { domain?: unknown } | undefined)?.domain;
    if (domain !== undefined && typeof domain !== 'string') throw new UserError('domain must be a string');
    res.json(await need().renew(app, domain?.trim().toLowerCase() || undefined));
  });
  return r;
}
