// REST routes for a swarm's nodes: the list (server readers), and for admins the join command (it holds the join
// token), drain (progress as NDJSON: moving instances takes a while), activate and remove; and swarm:init, which
// makes this server a one-node swarm.
import { Router, type Response } from 'express';
import { UserError, type NodeDrainEvent, type SwarmInitEvent } from '../core/index.ts';
import { advertiseAddr } from '../runtime/index.ts';
import { nodeParam } from './inputs.ts';
import { keepOpen } from './limits.ts';
import type { RouteDeps } from './route-deps.ts';

export function nodesRoutes(d: RouteDeps): Router {
  const r = Router();
  r.get('/nodes', async (_req, res) => { res.json(await d.nodes.list()); });
  r.get('/nodes/join', async (_req, res) => { res.json(await d.nodes.join()); });
  r.post('/nodes/:node/drain', async (req, res) => {
    const node = nodeParam(req);
    await progress<NodeDrainEvent>(res, async (line) => ({ type: 'done', node: await d.nodes.drain(node, line) }));
  });
  // This server's engine made a one-node swarm, its apps moved onto it (progress as NDJSON, as for a drain).
  r.post('/swarm/init', async (req, res) => {
    const body = (req.body ?? {}) as { advertiseAddr?: unknown };
    const addr = advertiseAddr(body.advertiseAddr);
    await progress<SwarmInitEvent>(res, async (line) => ({ type: 'done', done: await d.swarm.init(addr, line) }));
  });
  r.post('/nodes/:node/activate', async (req, res) => { res.json(await d.nodes.activate(nodeParam(req))); });
  r.delete('/nodes/:node', async (req, res) => { res.json(await d.nodes.remove(nodeParam(req))); });
  return r;
}

/**
 * Streams `work`'s lines, then its end, as NDJSON. Refused before its first line (nothing changed yet): a plain 4xx
 * from the error middleware; after it, the error as the last event.
 */
async function progress<E extends { type: string }>(res: Response, work: (line: (text: string) => void) => Promise<E>): Promise<void> {
  keepOpen(res); // one instance after another, each waiting for its replacement's health check
  let started = false;
  const send = (e: E | { type: 'line'; text: string } | { type: 'error'; error: string; hint?: string }) => {
    if (!started) {
      started = true;
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    }
    if (!res.writableEnded) res.write(JSON.stringify(e) + '\n');
  };
  try {
    send(await work((text) => send({ type: 'line', text })));
  } catch (e) {
    if (!started) throw e;
    send({ type: 'error', error: (e as Error).message, ...(e instanceof UserError && e.hint && { hint: e.hint }) });
  }
  res.end();
}
