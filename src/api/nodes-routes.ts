// REST routes for a swarm's nodes: the list (server readers), and for admins the join command (it holds the join
// token), drain (progress as NDJSON: moving instances takes a while), activate and remove.
import { Router } from 'express';
import { UserError, type NodeDrainEvent } from '../core/index.ts';
import { nodeParam } from './inputs.ts';
import { keepOpen } from './limits.ts';
import type { RouteDeps } from './route-deps.ts';

export function nodesRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/nodes', async (_req, res) => { res.json(await d.nodes.list()); });
  r.get('/nodes/join', async (_req, res) => { res.json(await d.nodes.join()); });
  r.post('/nodes/:node/drain', async (req, res) => {
    keepOpen(res); // one instance after another, each waiting for its replacement's health check
    const node = nodeParam(req);
    let started = false;
    const send = (e: NodeDrainEvent) => {
      if (!started) {
        started = true;
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      }
      if (!res.writableEnded) res.write(JSON.stringify(e) + '\n');
    };
    try {
      const after = await d.nodes.drain(node, (text) => send({ type: 'line', text }));
      send({ type: 'done', node: after });
    } catch (e) {
      if (!started) throw e; // refused before anything changed: a plain 4xx
      send({ type: 'error', error: (e as Error).message, ...(e instanceof UserError && e.hint && { hint: e.hint }) });
    }
    res.end();
  });
  r.post('/nodes/:node/activate', async (req, res) => { res.json(await d.nodes.activate(nodeParam(req))); });
  r.delete('/nodes/:node', async (req, res) => { res.json(await d.nodes.remove(nodeParam(req))); });
  return r;
}
