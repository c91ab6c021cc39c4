// REST routes for backups: make one (dumped, verified by a scratch restore), list them, restore one, schedule them.
import { Router } from 'express';
import { UserError } from '../core/index.ts';
import { DEFAULT_KEEP, parseFrequency, parseKeep, type BackupsService } from '../backups/index.ts';
import { appParam, param } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';


export function backupsRoutes(d: RouteDeps): Router {
  const r = Router();
  const svc = (): BackupsService => {
    if (!d.backups) throw new UserError('backups are not enabled on this server', undefined, 503);
    return d.backups;
  };
  const schedule = (name: string) => {
    const s = d.store.backups.getSchedule(name);
    return s ? { frequency: s.frequency, keep: s.keep, lastRunAt: s.lastRunAt } : { frequency: 'off', keep: DEFAULT_KEEP, lastRunAt: null };
  };

  r.get('/apps/:app/backups', (req, res) => { res.json(svc().list(appParam(req))); });
  r.post('/apps/:app/backups', async (req, res) => {
    const b = await svc().create(appParam(req));
    res.status(201).json(b); // a failed backup is recorded too: its status and error say why
  });
  r.get('/apps/:app/backups/schedule', (req, res) => { res.json(schedule(d.store.apps.require(appParam(req)).name)); });
  r.put('/apps/:app/backups/schedule', (req, res) => {
    const a = d.store.apps.require(appParam(req));
    const body = (req.body ?? {}) as { frequency?: unknown; keep?: unknown };
    const frequency = parseFrequency(body.frequency);
    const keep = parseKeep(body.keep);
    if (frequency === 'off') d.store.backups.removeSchedule(a.name);
    else d.store.backups.setSchedule(a.name, frequency, keep);
    res.json(schedule(a.name));
  });
  r.get('/apps/:app/backups/:id', (req, res) => { res.json(svc().get(appParam(req), param(req, 'id'))); });
  r.post('/apps/:app/backups/:id/restore', async (req, res) => { res.json(await svc().restore(appParam(req), param(req, 'id'))); });
  return r;
}
