// The app catalog: GET /catalog (every entry, and the broken ones with why), GET /catalog/:id, and
// POST /catalog/:id/apps, which installs an entry as a new app and streams its first deploy's log (NDJSON); GET and
// POST /apps/:app/upgrade, a catalog app's versions and its move to a newer one (the upgrade's log, NDJSON).
import { Router, type Request } from 'express';
import { UserError, type LogEvent } from '../core/index.ts';
import { catalogEntry, loadCatalog, type CatalogInstaller, type CatalogUpgrader } from '../catalog/index.ts';
import { appParam, param, parseCatalogInstall, parseUpgrade } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';

async function* install(lines: string[], events: AsyncIterable<LogEvent>): AsyncGenerator<LogEvent> {
  for (const text of lines) yield { type: 'line', seq: 0, time: new Date().toISOString(), text };
  yield* events;
}

export function catalogRoutes(d: RouteDeps): Router {
  const r = Router();
  const installer = (): CatalogInstaller => {
    if (!d.catalog) throw new UserError('this minicloud has no catalog installer', undefined, 503);
    return d.catalog;
  };
  const upgrades = (): CatalogUpgrader => {
    if (!d.upgrades) throw new UserError('this minicloud has no catalog upgrader', undefined, 503);
    return d.upgrades;
  };
  r.get('/apps/:app/upgrade', (req: Request, res) => { res.json(upgrades().info(appParam(req))); });
  r.post('/apps/:app/upgrade', async (req: Request, res) => {
    const app = appParam(req);
    const run = upgrades().start(app, parseUpgrade(req.body, app).to);
    await streamEvents(req, res, run);
  });
  r.get('/catalog', (_req, res) => { res.json(loadCatalog(d.catalog?.dir)); });
  r.get('/catalog/:id', (req: Request, res) => { res.json(catalogEntry(param(req, 'id'), d.catalog?.dir)); });
  r.post('/catalog/:id/apps', async (req: Request, res) => {
    const { name, set } = parseCatalogInstall(req.body);
    const lines: string[] = [];
    const deploy = await installer().install(name, param(req, 'id'), set ?? {}, (l) => lines.push(l));
    await streamEvents(req, res, (signal) => install(lines, d.log.follow(deploy.id, 0, signal)), { 'x-deploy-id': deploy.id });
  });
  return r;
}
