// An app's cron runs: the history minicloud keeps (newest first) and running an entry now (the dashboard's button, cron:run).
import { Router } from 'express';
import { UserError } from '../core/index.ts';
import { appParam } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

/** `?n=` of a list: a whole number from 1 to `max`, `fallback` when absent. */
export function parseCount(raw: unknown, fallback: number, max: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UserError(`n must be a whole number from 1 to ${max}`, `e.g. ?n=${fallback}`);
  return n;
}

/** `{"schedule": "0 3 * * *", "command": "npm run report"}`: which cron entry to run now (as GET /cron lists them). */
export function parseCronEntry(body: unknown): { schedule: string; command: string } {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (typeof b.schedule !== 'string' || typeof b.command !== 'string' || !b.schedule || !b.command || b.schedule.length > 200 || b.command.length > 4096) {
    throw new UserError('send the entry to run as {"schedule": "...", "command": "..."}', 'as GET /api/apps/<app>/cron lists them');
  }
  return { schedule: b.schedule, command: b.command };
}

export function cronRoutes(d: RouteDeps): Router {
  const r = Router();
  // Kept: the newest 50 runs of each entry.
  r.get('/apps/:app/cron/runs', (req, res) => { res.json(d.store.cronRuns.list(d.store.apps.require(appParam(req)).name, parseCount(req.query.n, 20, 200))); });
  r.post('/apps/:app/cron/run', (req, res) => {
    if (!d.cron) throw new UserError('this server runs no cron entries', undefined, 503);
    res.status(202).json(d.cron.runNow({ app: appParam(req), ...parseCronEntry(req.body) }));
  });
  return r;
}
