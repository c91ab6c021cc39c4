// REST routes for alerts: channels (the server's for admins, an app's for whoever may manage it; seen by its readers,
// masked), tests, the history.
import { Router, type Request, type Response } from 'express';
import { UserError, type AlertChannelInfo, type AlertHistoryInfo } from '../core/index.ts';
import { parseChannelInput, type AlertService } from '../alerts/index.ts';
import { allows, principalOf } from './access/index.ts';
import { appParam, param } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

const limitOf = (req: Request) => {
  const n = Number(req.query.n ?? 100);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserError('n must be a whole number from 1 to 1000');
  return n;
};
const appQuery = (req: Request) => (typeof req.query.app === 'string' && req.query.app !== '' ? req.query.app : undefined);

export function alertsRoutes(d: RouteDeps): Router {
  const r = Router();
  const svc = (): AlertService => {
    if (!d.alerts) throw new UserError('alerts are not enabled on this server', undefined, 503);
    return d.alerts;
  };
  const app = (req: Request) => d.store.apps.require(appParam(req)).name;
  /** Whether the caller may see an app's (or the server's: null) channels and history. */
  const may = (res: Response, owner: string | null) => allows(principalOf(res), owner === null ? 'admin' : 'app:read', owner ?? undefined);

  r.get('/alerts', (req, res) => {
    const only = appQuery(req);
    const list: AlertChannelInfo[] = svc().channels(only === undefined ? undefined : only === 'server' ? null : only);
    res.json(list.filter((c) => may(res, c.app)));
  });
  r.post('/alerts', (req, res) => { res.status(201).json(svc().add(null, parseChannelInput(req.body), true)); });
  r.delete('/alerts/:id', (req, res) => {
    svc().remove(param(req, 'id'));
    res.status(204).end();
  });
  r.post('/alerts/test', async (_req, res) => { res.json(await svc().test(null)); });
  r.post('/alerts/:id/test', async (req, res) => { res.json(await svc().test(null, param(req, 'id'))); });
  r.get('/alerts/history', (req, res) => {
    const only = appQuery(req);
    const entries: AlertHistoryInfo[] = svc().history(only === undefined ? undefined : only === 'server' ? null : only, limitOf(req));
    res.json(entries.filter((e) => may(res, e.app)));
  });

  r.get('/apps/:app/alerts', (req, res) => { res.json(svc().channels(app(req))); });
  // An admin's channel may point at this host or its network; an app member's at public addresses only.
  r.post('/apps/:app/alerts', (req, res) => { res.status(201).json(svc().add(app(req), parseChannelInput(req.body), principalOf(res).role === 'admin')); });
  r.delete('/apps/:app/alerts/:id', (req, res) => {
    svc().remove(param(req, 'id'), app(req));
    res.status(204).end();
  });
  r.post('/apps/:app/alerts/test', async (req, res) => { res.json(await svc().test(app(req))); });
  r.post('/apps/:app/alerts/:id/test', async (req, res) => { res.json(await svc().test(app(req), param(req, 'id'), app(req))); });
  r.get('/apps/:app/alerts/history', (req, res) => { res.json(svc().history(app(req), limitOf(req))); });
  return r;
}
