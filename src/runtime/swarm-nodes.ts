// The swarm's nodes as the manager reports them (`minicloud nodes`): each one's address, role, state, availability
// and memory, and which of minicloud's instances run on it; the join command for a new node; availability changes
// and removal. Moving instances off a node is the formation's (processes/nodes.ts): this only asks and tells Swarm.
import type Dockerode from 'dockerode';
import { UserError, type NodeInfo, type NodeJoin } from '../core/index.ts';
import type { NodeControl } from './runtime.ts';

interface RawNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Availability?: string; Role?: string; Name?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Resources?: { MemoryBytes?: number } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string; Leader?: boolean };
}

interface RawTask {
  NodeID?: string;
  ServiceID?: string;
  Status?: { State?: string };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> }; Resources?: { Limits?: { MemoryBytes?: number } } };
}

const status = (e: unknown) => (e as { statusCode?: number }).statusCode;
/** States of a task that holds (or is about to hold) its node's resources. */
const LIVE = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running']);

/** The address others reach a node on; a manager made without --advertise-addr may say 0.0.0.0 of itself. */
function addressOf(n: RawNode): string {
  const addr = n.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  return n.ManagerStatus?.Addr?.split(':')[0] ?? '';
}

export class SwarmNodes implements NodeControl {
  constructor(private readonly docker: Dockerode) {}

  async list(): Promise<NodeInfo[]> {
    const [nodes, tasks, info] = await Promise.all([
      this.docker.listNodes() as Promise<RawNode[]>,
      this.docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<RawTask[]>,
      this.docker.info() as Promise<{ Swarm?: { NodeID?: string } }>,
    ]);
    const self = info.Swarm?.NodeID;
    return nodes.map((n) => {
      const mine = tasks.filter((t) => t.NodeID === n.ID && LIVE.has(t.Status?.State ?? '') && t.Spec?.ContainerSpec?.Labels?.['minicloud.kind'] === 'instance');
      return {
        id: n.ID, name: n.Description?.Hostname ?? n.ID.slice(0, 12), address: addressOf(n),
        role: n.Spec?.Role === 'manager' ? ('manager' as const) : ('worker' as const), self: n.ID === self,
        state: n.Status?.State ?? 'unknown', availability: (n.Spec?.Availability ?? 'active') as NodeInfo['availability'],
        memoryBytes: n.Description?.Resources?.MemoryBytes ?? 0,
        memoryLimitsBytes: mine.reduce((s, t) => s + (t.Spec?.Resources?.Limits?.MemoryBytes ?? 0), 0),
        instances: mine.map((t) => ({ app: t.Spec?.ContainerSpec?.Labels?.['minicloud.app'] ?? '?', type: t.Spec?.ContainerSpec?.Labels?.['minicloud.type'] ?? '?', service: t.ServiceID ?? '' }))
          .sort((a, b) => a.app.localeCompare(b.app) || a.type.localeCompare(b.type)),
      };
    }).sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
  }

  /** The node named by its hostname, its id (or the start of it, 6 characters or more) or its address. */
  async find(ref: string): Promise<NodeInfo> {
    const nodes = await this.list();
    const exact = nodes.filter((n) => n.name === ref || n.id === ref || n.address === ref);
    const found = exact.length ? exact : ref.length >= 6 ? nodes.filter((n) => n.id.startsWith(ref)) : [];
    if (found.length === 1) return found[0] as NodeInfo;
    const names = nodes.map((n) => `${n.name} (${n.address})`).join(', ');
    if (found.length > 1) throw new UserError(`${JSON.stringify(ref)} names ${found.length} nodes`, `name one by its hostname or address: ${names}`);
    throw new UserError(`the swarm has no node ${JSON.stringify(ref)}`, `its nodes: ${names}; see \`minicloud nodes\``, 404);
  }

  /** The command a new server runs to join as a worker: the worker token and this manager's private address. */
  async join(): Promise<NodeJoin> {
    const [swarm, info] = await Promise.all([
      this.docker.swarmInspect() as Promise<{ JoinTokens?: { Worker?: string } }>,
      this.docker.info() as Promise<{ Swarm?: { NodeAddr?: string; RemoteManagers?: Array<{ NodeID?: string; Addr?: string }>; NodeID?: string } }>,
    ]);
    const token = swarm.JoinTokens?.Worker;
    if (!token) throw new Error('the swarm manager gave no worker join token');
    const own = info.Swarm?.RemoteManagers?.find((m) => m.NodeID === info.Swarm?.NodeID)?.Addr;
    const manager = own ?? `${info.Swarm?.NodeAddr}:2377`;
    return { token, manager, command: `docker swarm join --token ${token} ${manager}` };
  }

  async setAvailability(id: string, availability: NodeInfo['availability']): Promise<void> {
    // The node's version must be the one read: a change made meanwhile (another drain) fails with 500 "update out of sequence".
    for (let attempt = 0; ; attempt++) {
      const n = (await this.docker.getNode(id).inspect()) as RawNode;
      if (n.Spec?.Availability === availability) return;
      try {
        await this.docker.getNode(id).update({ _query: { version: n.Version?.Index }, _body: { ...n.Spec, Availability: availability } } as never);
        return;
      } catch (e) {
        if (attempt >= 3 || !String((e as Error).message).includes('out of sequence')) throw e;
      }
    }
  }

  /** Takes the node out of the swarm's list. `force`: even while it still answers (it then leaves on its own). */
  async remove(id: string, force: boolean): Promise<void> {
    await (this.docker.getNode(id).remove({ force } as never) as unknown as Promise<unknown>).catch((e: unknown) => { if (status(e) !== 404) throw e; });
  }
}
