// Compose files: POST /compose/env-files (the env_files a file names, for the CLI to send along) and POST /compose/apps,
// which makes an app of a Compose file and streams its first deploy's log (NDJSON).
import { Router, type Request } from 'express';
import { UserError, type LogEvent } from '../core/index.ts';
import type { ComposeInstaller } from '../catalog/index.ts';
import { parseComposeRequest } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';

async function* created(lines: string[], events: AsyncIterable<LogEvent>): AsyncGenerator<LogEvent> {
  for (const text of lines) yield { type: 'line', seq: 0, time: new Date().toISOString(), text };
  yield* events;
}

export function composeRoutes(d: RouteDeps): Router {
  const r = Router();
  const installer = (): ComposeInstaller => {
    if (!d.compose) throw new UserError('this minicloud does not make apps of Compose files', undefined, 503);
    return d.compose;
  };
  r.post('/compose/env-files', (req: Request, res) => {
    const c = parseComposeRequest({ name: 'x', ...(req.body as object) });
    res.json({ envFiles: installer().envFilesOf(c.compose, c.file) });
  });
  r.post('/compose/apps', async (req: Request, res) => {
    const c = parseComposeRequest(req.body);
    const lines: string[] = [];
    const deploy = await installer().install(c, (l) => lines.push(l));
    await streamEvents(req, res, (signal) => created(lines, d.log.follow(deploy.id, 0, signal)), { 'x-deploy-id': deploy.id });
  });
  return r;
}
