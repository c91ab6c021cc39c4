// REST routes for backups: make one (dumped, verified by a scratch restore), list them, restore one, schedule them;
// the server's off-box target (admins), an app's backups there, and one backup downloaded as a tar file.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { Router } from 'express';
import { UserError } from '../core/index.ts';
import { DEFAULT_KEEP, parseFrequency, parseKeep, parseTargetInput, viewOf, type BackupsService } from '../backups/index.ts';
import { appParam, param } from './inputs.ts';
import { keepOpen } from './limits.ts';
import type { RouteDeps } from './route-deps.ts';


export function backupsRoutes(d: RouteDeps): Router {
  const r = Router();
  const svc = (): BackupsService => {
    if (!d.backups) throw new UserError('backups are not enabled on this server', undefined, 503);
    return d.backups;
  };
  const off = () => {
    const o = svc().offBox();
    if (!o) throw new UserError('backups off the box are not enabled on this server', undefined, 503);
    return o;
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
  r.get('/backups/target', (_req, res) => {
    const t = off().target();
    res.json(t ? viewOf(t) : null);
  });
  r.put('/backups/target', async (req, res) => {
    const t = parseTargetInput(req.body);
    await off().set(t); // checked against the bucket first: a wrong key or endpoint is refused, nothing kept
    res.json(viewOf(t));
  });
  r.delete('/backups/target', (_req, res) => { res.json({ removed: off().clear() }); });
  r.get('/apps/:app/backups/remote', async (req, res) => {
    const app = d.store.apps.require(appParam(req)).name;
    res.json(await off().list(app, req.query.verify === '1' || req.query.verify === 'true'));
  });
  r.get('/apps/:app/backups/:id', (req, res) => { res.json(svc().get(appParam(req), param(req, 'id'))); });
  r.get('/apps/:app/backups/:id/download', async (req, res) => {
    const b = await svc().here(appParam(req), param(req, 'id')); // fetched from the bucket when not on this disk
    if (b.status === 'running') throw new UserError(`backup ${b.id} is not finished`, 'wait for it', 409);
    keepOpen(res);
    const tar = spawn('tar', ['-C', dirname(b.dir), '-cf', '-', '--', b.id], { stdio: ['ignore', 'pipe', 'ignore'] });
    res.status(200).type('application/x-tar').set('content-disposition', `attachment; filename="${b.app}-${b.id}.tar"`);
    tar.stdout.pipe(res, { end: false });
    // A tar that fails part-way must not look like a whole file: the connection is cut instead of ended.
    tar.once('close', (code) => { if (code === 0) res.end(); else res.destroy(); });
    res.once('close', () => tar.kill());
  });
  r.post('/apps/:app/backups/:id/restore', async (req, res) => { res.json(await svc().restore(appParam(req), param(req, 'id'))); });
  return r;
}
