// The REST API under /api and the pre-receive hook's endpoints under /internal/hooks.
import { Router, type Request } from 'express';
import { NotFoundError, UserError, tailFile } from '../core/index.ts';
import { appParam, confirmParam, param, parseConfigChanges, parseGithubConnect, parseNewAppName } from './inputs.ts';
import { asLineEvents, streamEvents } from './ndjson.ts';
import { processRoutes } from './process-routes.ts';
import { addonRoutes } from './addons-routes.ts';
import { cronStatus } from '../processes/index.ts';
import { domainRoutes } from './domains-routes.ts';
import { routerSettingsRoutes } from './router-routes.ts';
import { storageRoutes } from './storage-routes.ts';
import { resourcesRoutes } from './resources-routes.ts';
import { imageRoutes } from './image-routes.ts';
import { releasesRoutes } from './releases-routes.ts';
import { backupsRoutes } from './backups-routes.ts';
import { logRoutes } from './logs-routes.ts';
import { certRoutes } from './certs-routes.ts';
import { alertsRoutes } from './alerts-routes.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { appInfo, type RouteDeps } from './route-deps.ts';
import { principalOf, sees } from './access/index.ts';


function edgeOf(d: RouteDeps): NonNullable<RouteDeps['edge']> {
  if (!d.edge) throw new UserError('the router is not running yet', 'try again in a few seconds');
  return d.edge;
}

function lines(req: Request, fallback: number): number {
  const n = Number(req.query.lines ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new UserError('lines must be a whole number up to 10000');
  return n;
}

export type { RouteDeps } from './route-deps.ts';

export function apiRoutes(d: RouteDeps): Router {
  const r = Router();
  const webhookUrl = (req: Request) => `${d.publicUrl ?? `${req.protocol}://${req.get('host')}`}/webhooks/github`;
  const info = (req: Request, name: string) => appInfo(d, req, name);

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
  r.use(backupsRoutes(d));
  r.use(certRoutes(d));
  r.use(alertsRoutes(d));
  r.use(catalogRoutes(d));
  r.use(logRoutes(d)); // before the single-source GET /apps/:app/logs below, which answers when no source is asked
  r.get('/apps', (req, res) => { res.json(d.store.apps.list().filter((a) => sees(principalOf(res), a.name)).map((a) => info(req, a.name))); });
  r.post('/apps', async (req, res) => {
    const app = await d.service.create(parseNewAppName(req.body));
    res.status(201).json(info(req, app.name));
  });
  r.get('/apps/:app', (req, res) => { res.json({ ...info(req, appParam(req)), instances: d.store.instances.list(appParam(req)) }); });
  r.delete('/apps/:app', async (req, res) => {
    await d.service.destroy(appParam(req), confirmParam(req));
    res.status(204).end();
  });
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
  r.post('/apps/:app/github', (req, res) => {
    const link = d.github.connect(appParam(req), parseGithubConnect(req.body, appParam(req)));
    res.status(201).json({
      app: link.app, repo: link.repo, branch: link.branch, secret: link.secret, hasToken: link.token !== null,
      payloadUrl: webhookUrl(req), contentType: 'application/json', events: ['push'],
    });
  });
  r.get('/apps/:app/github', (req, res) => {
    const link = d.store.githubLinks.get(d.store.apps.require(appParam(req)).name);
    if (!link) throw new NotFoundError(`${appParam(req)} follows no GitHub repository`, `connect one with \`minicloud apps:connect ${appParam(req)} --github owner/repo\``);
    res.json({ app: link.app, repo: link.repo, branch: link.branch, hasToken: link.token !== null, payloadUrl: webhookUrl(req) });
  });
  r.get('/apps/:app/cron', (req, res) => { res.json(cronStatus(d.store, d.store.apps.require(appParam(req)).name)); });
  r.get('/apps/:app/metrics', (req, res) => { res.json({ minutes: d.metrics?.minutes(d.store.apps.require(appParam(req)).name) ?? [] }); });
  r.get('/apps/:app/ps', (req, res) => { res.json(d.store.instances.list(d.store.apps.require(appParam(req)).name)); });
  r.post('/apps/:app/restart', async (req, res) => { res.json({ deploy: await d.service.restart(appParam(req)) }); });
  r.get('/apps/:app/logs', async (req, res) => {
    const app = d.store.apps.require(appParam(req));
    const follow = req.query.follow === '1' || req.query.follow === 'true';
    const n = lines(req, 100);
    if (req.query.build === '1' || req.query.build === 'true') {
      const deploy = d.store.deploys.latest(app.name, 'build');
      if (!deploy) throw new NotFoundError(`${app.name} has no builds yet`, 'push with `git push minicloud main`');
      const after = follow ? 0 : Math.max(0, (d.store.deployLogs.lines(deploy.id).at(-1)?.seq ?? 0) - n);
      return streamEvents(req, res, (signal) => (follow
        ? d.log.follow(deploy.id, 0, signal)
        : asStored(d.store.deployLogs.lines(deploy.id, after))));
    }
    if (req.query.router === '1' || req.query.router === 'true') {
      const file = await d.routerLog(app.name);
      return streamEvents(req, res, (signal) => asLineEvents(tailFile(file, { lines: n, follow, signal })));
    }
    return streamEvents(req, res, (signal) => asLineEvents(d.runtime.logs(app.name, { lines: n, follow, signal })));
  });
  return r;
}

async function* asStored(lines: { seq: number; time: string; text: string }[]) {
  for (const l of lines) yield { type: 'line' as const, ...l };
}

export function hookRoutes(d: RouteDeps): Router {
  const r = Router();
  r.post('/plan', (req, res) => {
    const body = req.body as { app?: unknown; updates?: unknown };
    if (typeof body.app !== 'string' || !Array.isArray(body.updates)) throw new UserError('malformed hook request');
    res.json(d.push.plan(body.app, body.updates));
  });
  r.post('/deploy', async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const deploy = await d.push.start(String(b.app), {
      ref: String(b.ref), oldrev: String(b.oldrev), newrev: String(b.newrev), upload: String(b.upload), author: text(b.author), message: text(b.message),
    });
    await streamEvents(req, res, (signal) => d.log.follow(deploy.id, 0, signal), { 'x-deploy-id': deploy.id });
  });
  // The hook printed the deploy's end: its pusher knows, so the next push need not say.
  r.post('/deploys/:id/told', (req, res) => {
    d.store.deployJobs.markTold(param(req, 'id'));
    res.status(204).end();
  });
  r.get('/deploys/:id/log', async (req, res) => {
    const deploy = d.store.deploys.get(param(req, 'id'));
    if (!deploy) throw new NotFoundError('no such deploy');
    const after = Number(req.query.after ?? 0) || 0;
    await streamEvents(req, res, (signal) => d.log.follow(deploy.id, after, signal));
  });
  return r;
}
