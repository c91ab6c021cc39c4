// GET /api/apps/:app/logs?source=app,router,build,release: the app's logs merged in time order, as NDJSON; without
// `source` the older single-source form (`build=1`, `router=1`, or the app's output alone).
import { Router, type NextFunction, type Request, type Response } from 'express';
import { LOG_SOURCES, NotFoundError, UserError, tailFile, type Deploy, type LogLine, type LogSource } from '../core/index.ts';
import { appParam } from './inputs.ts';
import { keepOpen } from './limits.ts';
import { asLineEvents, streamEvents } from './ndjson.ts';
import type { RouteDeps } from './route-deps.ts';
import { mergedLogs } from '../log/index.ts';

/** Deploys looked at for lines: enough for a backlog, and any new one while following. */
const RECENT_DEPLOYS = 10;

/** `app,router` (or `all`, or empty: every source) into a set, naming the first unknown source. */
export function parseSources(raw: unknown): Set<LogSource> {
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (list.length === 0 || list.includes('all')) return new Set(LOG_SOURCES);
  for (const s of list) {
    if (!(LOG_SOURCES as readonly string[]).includes(s)) throw new UserError(`unknown log source ${JSON.stringify(s)}`, `use any of ${LOG_SOURCES.join(', ')}`);
  }
  return new Set(list as LogSource[]);
}

function lineCount(raw: unknown): number {
  const n = Number(raw ?? 100);
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new UserError('lines must be a whole number up to 10000');
  return n;
}

const yes = (v: unknown) => v === '1' || v === 'true';

export function logRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/apps/:app/logs', (req: Request, res: Response, next: NextFunction) => merged(d, req, res, next));
  r.get('/apps/:app/logs', (req: Request, res: Response) => singleSource(d, req, res));
  return r;
}

/** The merged logs; without `source`, the single-source form answers (next). */
async function merged(d: RouteDeps, req: Request, res: Response, next: NextFunction): Promise<void> {
  const raw = req.query.source ?? req.query.sources;
  if (raw === undefined) return next();
  const app = d.store.apps.require(appParam(req));
  const sources = parseSources(raw);
  const lines = lineCount(req.query.lines);
  const routerLog = await d.routerLog(app.name);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  keepOpen(res);
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  const events = mergedLogs({
    appLog: d.appLog(app.name),
    routerLog,
    deploys: (): Deploy[] => d.store.deploys.list(app.name, RECENT_DEPLOYS),
    deployLines: (id: string, after: number): LogLine[] => d.store.deployLogs.lines(id, after),
  }, { sources, lines, follow: yes(req.query.follow), signal: abort.signal });
  for await (const e of events) {
    if (abort.signal.aborted) break;
    res.write(JSON.stringify(e) + '\n');
  }
  res.end();
}

/** One log alone, bare: the latest build's (`build=1`), the router's (`router=1`), or the app's output. */
async function singleSource(d: RouteDeps, req: Request, res: Response): Promise<void> {
  const app = d.store.apps.require(appParam(req));
  const follow = yes(req.query.follow);
  const n = lineCount(req.query.lines);
  if (yes(req.query.build)) {
    const deploy = d.store.deploys.latest(app.name, 'build');
    if (!deploy) throw new NotFoundError(`${app.name} has no builds yet`, 'push with `git push minicloud main`');
    const after = follow ? 0 : Math.max(0, (d.store.deployLogs.lines(deploy.id).at(-1)?.seq ?? 0) - n);
    return streamEvents(req, res, (signal) => (follow
      ? d.log.follow(deploy.id, 0, signal)
      : asStored(d.store.deployLogs.lines(deploy.id, after))));
  }
  if (yes(req.query.router)) {
    const file = await d.routerLog(app.name);
    return streamEvents(req, res, (signal) => asLineEvents(tailFile(file, { lines: n, follow, signal })));
  }
  return streamEvents(req, res, (signal) => asLineEvents(d.runtime.logs(app.name, { lines: n, follow, signal })));
}

/** A deploy's stored lines as log events. */
export async function* asStored(lines: { seq: number; time: string; text: string }[]) {
  for (const l of lines) yield { type: 'line' as const, ...l };
}
