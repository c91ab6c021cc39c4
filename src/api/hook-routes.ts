// The pre-receive hook's endpoints under /internal/hooks (the hook's own token): a push's plan, its deploy followed
// as NDJSON, and a deploy's log for a hook that reconnects.
import { Router } from 'express';
import { NotFoundError } from '../core/index.ts';
import { param, parseHookDeploy, parseHookPlan } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';

export function hookRoutes(d: RouteDeps): Router {
  const r = Router();
  r.post('/plan', async (req, res) => {
    const { app, updates } = parseHookPlan(req.body);
    const plan = await d.push.plan(app, updates);
    for (const gone of plan.destroyed ?? []) await d.refreshRoutes(gone); // a deleted branch's preview: answered once the router serves without it
    res.json(plan);
  });
  r.post('/deploy', async (req, res) => {
    const { app, start } = parseHookDeploy(req.body);
    const deploy = await d.push.start(app, start);
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
