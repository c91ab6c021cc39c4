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
  // The key arrives in this body once; it is stored mode 0600 and never answered, listed or logged.
  r.post('/apps/:app/certs', (req, res) => {
    const app = store.apps.require(appParam(req)).name;
    const body = (req.body ?? {}) as { cert?: unknown; key?: unknown; domain?: unknown };
    res.status(201).json(need().addCustom(app, body.cert, body.key, domainOf(body.domain)));
  });
  r.delete('/apps/:app/certs', (req, res) => {
    const app = store.apps.require(appParam(req)).name;
    res.json(need().removeCustom(app, domainOf(req.query.domain)));
  });
  return r;
}

function domainOf(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 253) throw new UserError('domain must be a host name', 'e.g. www.example.com');
  return v.trim().toLowerCase().replace(/\.$/, '');
}
