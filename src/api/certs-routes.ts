// REST routes for an app's certificates: their status, and a forced renewal.
import { Router, type Request } from 'express';
import { UserError, type CertsReport } from '../core/index.ts';
import type { Store } from '../store/index.ts';

/** What the routes need of certs/ (main.ts passes its Certificates). */
export interface CertsView {
  report(app: string): CertsReport;
  renew(app: string, domain?: string): Promise<CertsReport>;
}

const param = (req: Request, name: string) => String(req.params[name]);

export function certRoutes(store: Store, certs: CertsView | undefined): Router {
  const r = Router();
  const need = (): CertsView => {
    if (!certs) throw new UserError('this minicloud serves no HTTPS', 'set MINICLOUD_HTTPS_PORT and restart it');
    return certs;
  };
  r.get('/apps/:app/certs', (req, res) => { res.json(need().report(store.apps.require(param(req, 'app')).name)); });
  // Waits for the orders (up to two minutes), then answers with the new status.
  r.post('/apps/:app/certs/renew', async (req, res) => {
    const app = store.apps.require(param(req, 'app')).name;
    const domain = (req.body as { domain?: unknown } | undefined)?.domain;
    if (domain !== undefined && typeof domain !== 'string') throw new UserError('domain must be a string');
    res.json(await need().renew(app, domain?.trim().toLowerCase() || undefined));
  });
  return r;
}
