// REST routes for an app's processes: formation, stop/start, sleep, rollback, one-off runs.
import { Router } from 'express';
import type { RunEvent } from '../core/index.ts';
import { appParam, parseRollback, parseRunCommand, parseScale, parseSleep } from './inputs.ts';
import { keepOpen } from './limits.ts';
import { appInfo, type RouteDeps } from './route-deps.ts';

export function processRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/apps/:app/formation', (req, res) => { res.json(d.processes.formation(appParam(req))); });
  r.patch('/apps/:app/formation', async (req, res) => {
    const formation = await d.processes.scale(appParam(req), parseScale(req.body, appParam(req)));
    res.json({ formation, instances: d.store.instances.list(appParam(req)) });
  });
  r.post('/apps/:app/stop', async (req, res) => { await d.processes.stop(appParam(req)); res.json(appInfo(d, req, appParam(req))); });
  r.post('/apps/:app/start', async (req, res) => { res.json({ deploy: await d.processes.start(appParam(req)) }); });
  r.put('/apps/:app/sleep', async (req, res) => { await d.processes.setSleep(appParam(req), parseSleep(req.body, appParam(req))); res.json(appInfo(d, req, appParam(req))); });
  r.post('/apps/:app/rollback', async (req, res) => { res.json({ deploy: await d.processes.rollback(appParam(req), parseRollback(req.body, appParam(req))) }); });
  r.post('/apps/:app/run', async (req, res) => {
    keepOpen(res); // a one-off's output, for as long as it runs
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let seq = 0;
    const send = (e: RunEvent) => { if (!res.writableEnded) res.write(JSON.stringify(e) + '\n'); };
    // Validation errors surface as JSON 4xx: the stream starts with the first line or the exit.
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      res.flushHeaders();
    };
    const code = await d.processes.run(appParam(req), parseRunCommand(req.body, appParam(req)), (text) => { start(); send({ type: 'line', seq: ++seq, time: new Date().toISOString(), text }); }, abort.signal);
    start();
    send({ type: 'exit', code });
    res.end();
  });
  return r;
}
