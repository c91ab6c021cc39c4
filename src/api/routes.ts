// The REST API under /api: every route module mounted in its order, and the apps' own routes.
import { Router, type Request, type Response } from 'express';
import { NotFoundError, UserError } from '../core/index.ts';
import { appParam, confirmParam, param, parseAppSettings, parseConfigChanges, parseNewAppName } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import { processRoutes } from './process-routes.ts';
import { addonRoutes } from './addons-routes.ts';
import { cronStatus } from '../processes/index.ts';
import { domainRoutes } from './domains-routes.ts';
import { routerSettingsRoutes } from './router-routes.ts';
import { storageRoutes } from './storage-routes.ts';
import { resourcesRoutes } from './resources-routes.ts';
import { imageRoutes } from './image-routes.ts';
import { releasesRoutes } from './releases-routes.ts';
import { previewsRoutes } from './previews-routes.ts';
import { backupsRoutes } from './backups-routes.ts';
import { diskRoutes } from './disk-routes.ts';
import { nodesRoutes } from './nodes-routes.ts';
import { asStored, logRoutes } from './logs-routes.ts';
import { certRoutes } from './certs-routes.ts';
import { alertsRoutes } from './alerts-routes.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { composeRoutes } from './compose-routes.ts';
import { githubRoutes } from './github-routes.ts';
import { cronRoutes } from './cron-routes.ts';
import { appInfo, type RouteDeps } from './route-deps.ts';
import { principalOf, sees } from './access/index.ts';
import { RANGES, type Range } from '../metrics/index.ts';

function edgeOf(d: RouteDeps): NonNullable<RouteDeps['edge']> {
  if (!d.edge) throw new UserError('the router is not running yet', 'try again in a few seconds');
  return d.edge;
}

export function apiRoutes(d: RouteDeps): Router {
  const r = Router();
  r.use(processRoutes(d));
  r.use(addonRoutes(d));
  r.use(domainRoutes(d));
  r.use(routerSettingsRoutes(d));
  r.get('/router', async (_req, res) => { res.json(await edgeOf(d).status()); });
  r.post('/router/restart', async (_req, res) => { res.json(await edgeOf(d).restart()); });
  r.use(storageRoutes(d));
  r.use(resourcesRoutes(d));
  r.use(imageRoutes(d));
  r.use(releasesRoutes(d));
  r.use(previewsRoutes(d));
  r.use(backupsRoutes(d));
  r.use(diskRoutes(d));
  r.use(nodesRoutes(d));
  r.use(certRoutes(d));
  r.use(alertsRoutes(d));
  r.use(catalogRoutes(d));
  r.use(composeRoutes(d));
  r.use(logRoutes(d)); // GET /apps/:app/logs, merged or from one source
  r.use(appRoutes(d));
  r.use(githubRoutes(d));
  r.use(cronRoutes(d));
  r.use(appStateRoutes(d));
  return r;
}

/** The apps themselves: list, create, show, destroy; their config and deploys. */
function appRoutes(d: RouteDeps): Router {
  const r = Router();
  const info = (req: Request, name: string) => appInfo(d, req, name);
  r.get('/apps', (req, res) => { res.json(d.store.apps.list().filter((a) => sees(principalOf(res), a.name)).map((a) => info(req, a.name))); });
  r.post('/apps', async (req, res) => {
    const app = await d.service.create(parseNewAppName(req.body));
    await d.refreshRoutes(app.name); // its URL says "nothing deployed yet" from now on, not "no app here"
    res.status(201).json(info(req, app.name));
  });
  r.get('/apps/:app', (req, res) => { res.json({ ...info(req, appParam(req)), instances: d.store.instances.list(appParam(req)) }); });
  r.patch('/apps/:app', (req, res) => { res.json(info(req, d.service.update(appParam(req), parseAppSettings(req.body, appParam(req))).name)); });
  r.post('/apps/:app/rename', async (req, res) => {
    const app = await d.service.rename(appParam(req), parseNewAppName(req.body));
    await d.refreshRoutes(app.name); // answered once the router serves the new name and no longer the old
    res.json(info(req, app.name));
  });
  r.delete('/apps/:app', async (req, res) => {
    await d.service.destroy(appParam(req), confirmParam(req));
    await d.refreshRoutes(appParam(req)); // answered once the router no longer serves it
    res.status(204).end();
  });
  // Answered once the router serves the change (its page, or the app again).
  const maintenance = (on: boolean) => async (req: Request, res: Response) => {
    const app = d.service.setMaintenance(appParam(req), on);
    await d.refreshRoutes(app.name);
    res.json(info(req, app.name));
  };
  r.put('/apps/:app/maintenance', maintenance(true));
  r.delete('/apps/:app/maintenance', maintenance(false));
  r.get('/apps/:app/config', (req, res) => {
    d.store.apps.require(appParam(req));
    res.json(d.store.configVars.get(appParam(req)));
  });
  r.patch('/apps/:app/config', async (req, res) => { res.json(await d.service.updateConfig(appParam(req), parseConfigChanges(req.body, appParam(req)))); });
  r.get('/apps/:app/deploys', (req, res) => { res.json(d.store.deploys.list(d.store.apps.require(appParam(req)).name)); });
  r.get('/apps/:app/deploys/:id/log', async (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const deploy = d.store.deploys.get(param(req, 'id'));
    if (!deploy || deploy.app !== app.name) throw new NotFoundError(`${app.name} has no deploy ${param(req, 'id')}`, `see \`minicloud releases ${app.name}\``);
    const follow = req.query.follow === '1' || req.query.follow === 'true';
    return streamEvents(req, res, (signal) => (follow ? d.log.follow(deploy.id, 0, signal) : asStored(d.store.deployLogs.lines(deploy.id))));
  });
  return r;
}

/** What an app is doing: its cron entries, metrics and instances, and a restart. */
function appStateRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/apps/:app/cron', (req, res) => { res.json(cronStatus(d.store, d.store.apps.require(appParam(req)).name)); });
  r.get('/apps/:app/metrics', (req, res) => {
    const app = d.store.apps.require(appParam(req)).name;
    const { range, stepMinutes } = metricsRange(req.query.range, req.query.step);
    res.json({ range, stepMinutes, minutes: d.metrics?.minutes(app, range, stepMinutes) ?? [] });
  });
  r.get('/apps/:app/ps', (req, res) => { res.json(d.store.instances.list(d.store.apps.require(appParam(req)).name)); });
  r.post('/apps/:app/restart', async (req, res) => { res.json({ deploy: await d.service.restart(appParam(req)) }); });
  return r;
}

/** Steps a metrics range may be combined by, in minutes; the default is the first (a day's minutes, a week's 10 minutes). */
const STEPS: Record<Range, number[]> = { '1h': [1, 5, 10], '24h': [1, 10, 60], '7d': [10, 60] };

/** `?range=1h|24h|7d&step=<minutes>`: the period of an app's metrics and the minutes each point covers. */
export function metricsRange(rawRange: unknown, rawStep: unknown): { range: Range; stepMinutes: number } {
  const range = (rawRange ?? '1h') as Range;
  if (typeof range !== 'string' || !Object.hasOwn(RANGES, range)) throw new UserError(`unknown metrics range ${JSON.stringify(rawRange)}`, `use one of ${Object.keys(RANGES).join(', ')}`);
  const steps = STEPS[range];
  const stepMinutes = rawStep === undefined ? steps[0]! : Number(rawStep);
  if (!steps.includes(stepMinutes)) throw new UserError(`step ${JSON.stringify(rawStep)} does not fit the range ${range}`, `use one of ${steps.join(', ')} (minutes)`);
  return { range, stepMinutes };
}
