// `minicloud nodes` and what an operator does with a swarm's nodes: list them, print the join command, drain one
// (its instances moved off one by one, no request failing), take it back into service, remove it.
import { UserError, registryTrust, type NodeInfo, type NodeJoin } from '../core/index.ts';
import type { NodeControl, Runtime } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';
import type { Formation } from './formation.ts';

/** How often a drain looks again for instances that landed on the node while it moved the others (a rollout's). */
const ROUNDS = 5;

export class NodeService {
  /**
   * `registry`: minicloud's own swarm registry, whose CA a joining node must trust (said with the join command);
   * `noRegistry`: none at all (a swarm:init of this process): images are on this server only.
   */
  constructor(private readonly store: Store, private readonly formation: Formation, private readonly runtime: Runtime, private readonly registry?: { host: string; caPem: string }, private readonly noRegistry = false) {}

  private control(): NodeControl {
    if (this.runtime.nodes) return this.runtime.nodes;
    throw new UserError(`this server runs apps on ${this.runtime.name === 'docker' ? 'Docker' : 'host processes'}, one server: it has no nodes`, 'nodes are servers of a Docker Swarm (MINICLOUD_RUNTIME=swarm; see the README, "Swarm")');
  }

  /** The nodes, each instance marked when its app's storage pins it there. */
  async list(): Promise<NodeInfo[]> {
    return (await this.control().list()).map((n) => ({ ...n, instances: n.instances.map((i) => ({ ...i, storage: this.formation.volumes(i.app).length > 0 })) }));
  }

  async join(): Promise<NodeJoin> {
    const nodes = this.control();
    if (this.noRegistry) {
      throw new UserError("this swarm has no registry yet: apps' images are on this server only, so a second node could run none of them", 'restart minicloud first: on a swarm it runs its own registry on this manager (or uses MINICLOUD_SWARM_REGISTRY); deploy each app again so its image is there, then run nodes:add', 409);
    }
    const j = await nodes.join();
    return this.registry ? { ...j, registry: { ...this.registry, trust: registryTrust(this.registry.host, this.registry.caPem) } } : j;
  }

  /**
   * Moves every instance off the node, then sets it to drain. First the node is paused (it keeps what runs but takes
   * nothing new), so no replacement, restart or deploy lands there meanwhile; each instance is then moved as a
   * rollout replaces one (processes/formation.ts: move). Refused before anything changes when an instance on it
   * cannot move (its app's storage lives on that node) or no other node takes instances. When a move fails the
   * node stays paused: whatever runs keeps running, and the error says so.
   */
  async drain(ref: string, say: (line: string) => void): Promise<NodeInfo> {
    const nodes = this.control();
    const node = await nodes.find(ref);
    if (node.availability === 'drain' && node.instances.length === 0) {
      say(`${node.name} is drained already: nothing of minicloud's runs there`);
      return node;
    }
    const pinned = [...new Set(node.instances.map((i) => i.app))].filter((app) => this.formation.volumes(app).length > 0);
    if (pinned.length) {
      throw new UserError(`${node.name} holds the storage of ${pinned.join(', ')}: ${pinned.length > 1 ? 'they stay' : 'it stays'} on the node whose directory holds ${pinned.length > 1 ? 'their volumes' : 'its volume'}`, `nothing was changed; \`minicloud storage\` shows an app's volumes`, 409);
    }
    const others = (await nodes.list()).filter((n) => n.id !== node.id && n.state === 'ready' && n.availability === 'active');
    if (others.length === 0) throw new UserError(`no other node takes instances: ${node.name}'s apps would have nowhere to go`, 'add a node first (`minicloud nodes:add` prints how), or take one back with `minicloud nodes:activate`', 409);
    await nodes.setAvailability(node.id, 'pause');
    say(`${node.name} paused: it keeps what runs and takes nothing new`);
    // One at a time (a dozen starting at once would crowd a small server); the old ones finish their requests meanwhile.
    const retiring: Array<Promise<void>> = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const on = new Set((await nodes.find(node.id)).instances.map((i) => i.service));
        const here = this.store.instances.list().filter((i) => i.handle && on.has(i.handle) && i.state === 'up');
        if (here.length === 0) break;
        for (const inst of here) {
          const t0 = Date.now();
          let moved: Awaited<ReturnType<Formation['move']>>;
          try {
            moved = await this.formation.move(inst, () => {});
          } catch (e) {
            throw new UserError(`${inst.app}'s ${inst.type} instance did not move off ${node.name}: ${(e as Error).message}`, `${node.name} stays paused, what runs there keeps running; fix that, then \`minicloud nodes:drain ${node.name}\` again, or \`minicloud nodes:activate ${node.name}\``);
          }
          if (!moved) continue;
          retiring.push(moved.retired);
          say(`moved ${inst.app} ${inst.type}.${inst.id.slice(0, 8)} off ${node.name} (now on ${moved.replacement.host}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
      }
    } finally {
      await Promise.all(retiring); // those already replaced stop in any case
    }
    await nodes.setAvailability(node.id, 'drain');
    const after = await nodes.find(node.id);
    say(`${node.name} drained: ${retiring.length} instance(s) moved${after.instances.length ? `; ${after.instances.length} still stopping there` : ''}`);
    return after;
  }

  /** Back into service: new instances may be placed there again (those moved off stay where they are). */
  async activate(ref: string): Promise<NodeInfo> {
    const nodes = this.control();
    const node = await nodes.find(ref);
    await nodes.setAvailability(node.id, 'active');
    return nodes.find(node.id);
  }

  /** Out of the swarm: only a drained worker with nothing of minicloud's on it. */
  async remove(ref: string): Promise<NodeInfo> {
    const nodes = this.control();
    const node = await nodes.find(ref);
    if (node.self) throw new UserError(`${node.name} is the manager minicloud runs on`, 'it cannot be removed from its own swarm', 409);
    if (node.role === 'manager') throw new UserError(`${node.name} is a manager`, `demote it first on a manager (\`docker node demote ${node.name}\`), then drain and remove it`, 409);
    if (node.availability !== 'drain' || node.instances.length) {
      throw new UserError(`${node.name} is not drained${node.instances.length ? `: ${node.instances.length} instance(s) run there` : ''}`, `move its apps off first: \`minicloud nodes:drain ${node.name}\``, 409);
    }
    await nodes.remove(node.id, node.state !== 'down');
    return node;
  }
}
