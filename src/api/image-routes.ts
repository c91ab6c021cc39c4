// POST /apps/:app/deploys: deploy a published image by reference, streaming the deploy's log (NDJSON).
import { Router, type Request } from 'express';
import { appParam, parseImageDeploy } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';
import { submitDeploy } from '../intake/index.ts';

export function imageRoutes(d: RouteDeps): Router {
  const r = Router();
  r.post('/apps/:app/deploys', async (req: Request, res) => {
    const app = d.store.apps.require(appParam(req));
    const input = parseImageDeploy(req.body, app.name);
    const deploy = await submitDeploy(d.store, d.queue, {
      app: app.name, kind: 'image', ref: input.image, commit: input.commit, commitAuthor: input.author, commitMessage: input.message,
    }, { ...(input.registry && { registryAuth: input.registry }) });
    await streamEvents(req, res, (signal) => d.log.follow(deploy.id, 0, signal), { 'x-deploy-id': deploy.id });
  });
  return r;
}
