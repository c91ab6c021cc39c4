// GET /api/apps/:app/logs?source=app,router,build,release: the app's logs merged in time order, as NDJSON.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { LOG_SOURCES, UserError, type Deploy, type LogLine, type LogSource } from '../core/index.ts';
import { appParam } from './inputs.ts';
import { keepOpen } from './limits.ts';
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
  // Without `source` the older single-source form (`build=1`, `router=1`, or the app's output alone) answers.
  r.get('/apps/:app/logs', async (req: Request, res: Response, next: NextFunction) => {
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
  });
  return r;
}
