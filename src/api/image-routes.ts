// POST /apps/:app/deploys: deploy a published image by reference, streaming the deploy's log (NDJSON).
import { Router, type Request } from 'express';
import { UserError, validateImageRef } from '../core/index.ts';
import { appParam } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';
import { submitDeploy } from '../intake/index.ts';

function registryAuth(v: unknown): { username: string; password: string; serveraddress?: string } | undefined {
  if (v === undefined || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.username !== 'string' || typeof o.password !== 'string' || (o.server !== undefined && typeof o.server !== 'string')) {
    throw new UserError('registry must be {"username": "...", "password": "...", "server": "optional host"}');
  }
  return { username: o.username, password: o.password, ...(o.server ? { serveraddress: o.server as string } : {}) };
}

export function imageRoutes(d: RouteDeps): Router {
  const r = Router();
  r.post('/apps/:app/deploys', async (req: Request, res) => {
    const app = d.store.apps.require(appParam(req));
    const body = (req.body ?? {}) as { image?: unknown; registry?: unknown };
    if (body.image === undefined) throw new UserError('no image given', `e.g. \`minicloud deploy ${app.name} --image ghcr.io/me/app:1.2\`; to deploy code, git push`);
    const image = validateImageRef(body.image);
    const auth = registryAuth(body.registry);
    const deploy = await submitDeploy(d.store, d.queue, { app: app.name, kind: 'image', ref: image }, { ...(auth && { registryAuth: auth }) });
    await streamEvents(req, res, (signal) => d.log.follow(deploy.id, 0, signal), { 'x-deploy-id': deploy.id });
  });
  return r;
}
