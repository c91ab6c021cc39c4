// Compose files: POST /compose/env-files (the env_files a file names, for the CLI to send along) and POST /compose/apps,
// which makes an app of a Compose file and streams its first deploy's log (NDJSON).
import { Router, type Request } from 'express';
import { UserError, type LogEvent } from '../core/index.ts';
import type { ComposeInstaller } from '../catalog/index.ts';
import { isObject } from './inputs.ts';
import { streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';

async function* created(lines: string[], events: AsyncIterable<LogEvent>): AsyncGenerator<LogEvent> {
  for (const text of lines) yield { type: 'line', seq: 0, time: new Date().toISOString(), text };
  yield* events;
}

/** `{"name", "compose": text, "file": "compose.yaml", "envFiles": {path: text}}` of POST /compose/apps. */
function parseComposeRequest(body: unknown): { name: string; compose: string; file: string; envFiles: Record<string, string> } {
  const example = 'send {"name": "shop", "compose": "<the file>", "file": "compose.yaml", "envFiles": {".env": "<its text>"}}';
  const o = isObject(body) ? body : {};
  const unknown = Object.keys(o).find((k) => !['name', 'compose', 'file', 'envFiles'].includes(k));
  if (unknown) throw new UserError(`${unknown}: not a field of a Compose app`, example);
  if (typeof o.name !== 'string') throw new UserError("name must be the new app's name", example);
  if (typeof o.compose !== 'string') throw new UserError('compose must be the Compose file\'s text', example);
  const file = o.file ?? 'compose.yaml';
  if (typeof file !== 'string' || !/^[\w.-]{1,100}$/.test(file)) throw new UserError('file must be the Compose file\'s name (e.g. docker-compose.yml)', example);
  const envFiles = o.envFiles ?? {};
  if (!isObject(envFiles) || Object.values(envFiles).some((v) => typeof v !== 'string')) throw new UserError('envFiles must map env_file paths to their texts', example);
  return { name: o.name, compose: o.compose, file, envFiles: envFiles as Record<string, string> };
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
