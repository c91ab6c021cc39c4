// A swarm's nodes: `nodes` lists them with what runs on each, `nodes:add` prints how a new server joins,
// `nodes:drain` moves a node's apps off it (no request failing), `nodes:activate` takes it back, `nodes:remove` drops it.
import { UserError, type NodeDrainEvent, type NodeInfo, type NodeJoin, type SwarmInitEvent } from '../../core/index.ts';
import { flag, type Command } from '../kit/command.ts';
import { json, table } from '../kit/format.ts';
import { bytes } from './backups.ts';

const nodePath = (ref: string) => `/api/nodes/${encodeURIComponent(ref)}`;

/** `app (web×2, worker)` for each app with instances on the node; `; storage` for one pinned there by its volume. */
export function appsOn(n: NodeInfo): string {
  const byApp = new Map<string, Map<string, number>>();
  const pinned = new Set(n.instances.filter((i) => i.storage).map((i) => i.app));
  for (const i of n.instances) {
    const types = byApp.get(i.app) ?? new Map<string, number>();
    types.set(i.type, (types.get(i.type) ?? 0) + 1);
    byApp.set(i.app, types);
  }
  return [...byApp].map(([app, types]) => `${app} (${[...types].map(([t, k]) => (k > 1 ? `${t}×${k}` : t)).join(', ')}${pinned.has(app) ? '; storage' : ''})`).join(', ') || '-';
}

function nodeArg(args: { rest: string[] }, usage: string): string {
  const [ref, extra] = args.rest;
  if (!ref) throw new UserError('no node given', `usage: minicloud ${usage} (a NAME or ADDRESS from \`minicloud nodes\`)`);
  if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, `usage: minicloud ${usage}`);
  return ref;
}

const list: Command = {
  name: 'nodes',
  usage: '[--json]',
  summary: "the swarm's servers: address, role, state, availability, memory, and the apps running on each",
  json: true,
  async run(ctx, args) {
    const nodes = await ctx.client().request<NodeInfo[]>('GET', '/api/nodes');
    if (args.flags.json) return ctx.out(json(nodes));
    const rows = nodes.map((n) => [
      n.name, n.address, n.self ? `${n.role} (minicloud)` : n.role, n.state, n.availability,
      `${bytes(n.memoryLimitsBytes)} of ${bytes(n.memoryBytes)}`, appsOn(n),
    ]);
    for (const line of table(rows, ['NAME', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY', 'MEMORY (LIMITS)', 'APPS'])) ctx.out(line);
  },
};

const add: Command = {
  name: 'nodes:add',
  usage: '',
  summary: 'print the command a new server runs to join the swarm as a worker',
  async run(ctx, args) {
    if (args.rest.length) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[0])}`, 'usage: minicloud nodes:add');
    const j = await ctx.client().request<NodeJoin>('GET', '/api/nodes/join');
    ctx.out('-----> On the new server (Docker installed, as root), run:');
    if (j.registry) {
      // First: its Docker trusts minicloud's registry (TLS with minicloud's own CA) before any task of it pulls.
      const [first, ...rest] = j.registry.trust.split('\n');
      ctx.out(`       ${first}`);
      for (const line of rest) ctx.out(line); // the here-document's lines and its end, unindented
    }
    ctx.out(`       ${j.command}`);
    ctx.out(`       It must reach ${j.manager} (2377/tcp), and every node the others on 7946/tcp+udp and 4789/udp, over a private network.`);
    if (j.registry) {
      ctx.out(`       Its Docker pulls apps' images from minicloud's registry on ${j.registry.host} (TCP, same network), trusting the CA above.`);
    } else {
      ctx.out("       Its Docker pulls apps' images from the swarm's registry (MINICLOUD_SWARM_REGISTRY): list that in its");
      ctx.out('       /etc/docker/daemon.json "insecure-registries" when the registry speaks plain HTTP.');
    }
    ctx.out('       The token lets any server join: keep it as a password (`docker swarm join-token --rotate worker` replaces it).');
    ctx.out('       New instances are placed on it from then on; `minicloud nodes` shows it once it has joined.');
  },
};

const drain: Command = {
  name: 'nodes:drain',
  usage: '<node>',
  summary: "move every app off a node (each instance replaced elsewhere before it stops: no request fails), then keep it empty",
  help: "The node is paused first (it takes nothing new), then each instance is moved as a redeploy replaces one.\nAn app with storage stays on the node holding its volume: the drain is then refused, nothing changed.\n`minicloud nodes:activate <node>` lets it take instances again.",
  async run(ctx, args) {
    const ref = nodeArg(args, 'nodes:drain <node>');
    ctx.out(`-----> Draining ${ref}`);
    for await (const e of ctx.client().stream<NodeDrainEvent>(`${nodePath(ref)}/drain`, 'POST', {})) {
      if (e.type === 'line') ctx.out(`       ${e.text}`);
      else if (e.type === 'error') throw new UserError(e.error, e.hint);
      else if (e.type === 'done') return;
    }
    throw new UserError('lost the connection before the drain ended', `it may still be going on: see \`minicloud nodes\`, and run \`minicloud nodes:drain ${ref}\` again`);
  },
};

const activate: Command = {
  name: 'nodes:activate',
  usage: '<node>',
  summary: 'let a drained or paused node take new instances again (those moved off stay where they are)',
  async run(ctx, args) {
    const n = await ctx.client().request<NodeInfo>('POST', `${nodePath(nodeArg(args, 'nodes:activate <node>'))}/activate`);
    ctx.out(`-----> ${n.name} (${n.address}) takes new instances again`);
  },
};

const remove: Command = {
  name: 'nodes:remove',
  usage: '<node>',
  summary: 'take a drained worker out of the swarm',
  async run(ctx, args) {
    const n = await ctx.client().request<NodeInfo>('DELETE', nodePath(nodeArg(args, 'nodes:remove <node>')));
    ctx.out(`-----> Removed ${n.name} (${n.address}) from the swarm`);
    if (n.state !== 'down') ctx.out('       It was still up: it leaves the swarm on its own; its Docker keeps running, with nothing of minicloud\'s.');
  },
};

const init: Command = {
  name: 'swarm:init',
  usage: '[--advertise-addr <private address>]',
  summary: "make this server a one-node Docker Swarm in place: its running apps move to Swarm services, no request failing",
  help: "Runs `docker swarm init` on minicloud's engine (or uses it when it is a swarm manager already), makes Swarm the\nruntime for good (a restart keeps it), then starts each running instance as a service, routes to it once it\nanswers and stops its container after it finished its requests. An app with storage moves stop-first (its\nvolume stays on this server; requests are held meanwhile). --advertise-addr: the private address other nodes\nwill reach this one at (needed when the server has several).",
  options: { 'advertise-addr': { type: 'string' } },
  async run(ctx, args) {
    if (args.rest.length) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[0])}`, 'usage: minicloud swarm:init [--advertise-addr <private address>]');
    const addr = flag(args, 'advertise-addr');
    ctx.out('-----> Making this server a one-node swarm');
    for await (const e of ctx.client().stream<SwarmInitEvent>('/api/swarm/init', 'POST', addr ? { advertiseAddr: addr } : {})) {
      if (e.type === 'line') ctx.out(`       ${e.text}`);
      else if (e.type === 'error') throw new UserError(e.error, e.hint);
      else if (e.type === 'done') {
        ctx.out(`-----> Done: apps run as Swarm services (${e.done.instances} instance(s) moved in ${e.done.seconds.toFixed(1)} s); \`minicloud nodes\` lists the swarm`);
        ctx.out('       Before a second node joins, it needs a registry every node pulls from: see `minicloud nodes:add`.');
        return;
      }
    }
    throw new UserError('lost the connection before swarm:init ended', 'it may still be going on: `minicloud status` says Docker Swarm once the engine is one; `minicloud ps <app>` shows where each app runs');
  },
};

export const nodeCommands: Command[] = [list, add, drain, activate, remove, init];
