// REST routes for an app's processes: formation, stop/start, sleep, rollback, one-off runs.
import { Router, type Request } from 'express';
import type { RunEvent } from '../core/index.ts';
import { keepOpen } from './limits.ts';
import type { ProcessService } from './process-service.ts';

const param = (req: Request) => String(req.params.app);

export function processRoutes(p: ProcessService, info: (req: Request, app: string) => unknown, instances: (app: string) => unknown): Router {
  const r = Router();
  r.get('/apps/:app/formation', (req, res) => { res.json(p.formation(param(req))); });
  r.patch('/apps/:app/formation', async (req, res) => {
    const formation = await p.scale(param(req), req.body);
    res.json({ formation, instances: instances(param(req)) });
  });
  r.post('/apps/:app/stop', async (req, res) => { await p.stop(param(req)); res.json(info(req, param(req))); });
  r.post('/apps/:app/start', async (req, res) => { res.json({ deploy: await p.start(param(req)) }); });
  r.put('/apps/:app/sleep', async (req, res) => { await p.setSleep(param(req), req.body); res.json(info(req, param(req))); });
  r.post('/apps/:app/rollback', async (req, res) => { res.json({ deploy: await p.rollback(param(req), req.body) }); });
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
    const code = await p.run(param(req), req.body, (text) => { start(); send({ type: 'line', seq: ++seq, time: new Date().toISOString(), text }); }, abort.signal);
    start();
    send({ type: 'exit', code });
    res.end();
  });
  return r;
}
