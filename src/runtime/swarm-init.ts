// Making minicloud's own engine a one-node swarm (`docker swarm init`), or adopting it when it is a manager already.
import { isIP } from 'node:net';
import type Dockerode from 'dockerode';
import { UserError } from '../core/index.ts';

export interface SwarmInitResult {
  /** true: the engine was a swarm manager already and is used as it is. */
  adopted: boolean;
  /** The address the other nodes will reach it at (`<ip>:2377`). */
  address: string;
  nodes: number;
}

interface SwarmInfo { LocalNodeState?: string; ControlAvailable?: boolean; NodeAddr?: string; Nodes?: number; Error?: string }

/** `--advertise-addr`: an IP address (v4 or v6), or the name of the interface holding it (`eth1`), as Docker takes it. */
export function advertiseAddr(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string' && (isIP(raw) || /^[a-z][a-z0-9_.-]{0,14}$/i.test(raw))) return raw;
  throw new UserError(`${JSON.stringify(String(raw).slice(0, 60))} is not an address to advertise`, "give this server's private IP address (e.g. --advertise-addr 10.0.0.5) or its interface (eth1)");
}

/** The client of one Docker engine (what connectDocker answers with). */
export type EngineClient = Dockerode;

/** How many nodes the engine's swarm has (1 when it is in none). */
export async function swarmNodes(docker: Dockerode): Promise<number> {
  return (await swarmOf(docker)).Nodes ?? 1;
}

const swarmOf = async (docker: Dockerode) => ((await docker.info()) as { Swarm?: SwarmInfo }).Swarm ?? {};

/** Whether the engine is a swarm manager already (then nothing is initialised). */
export async function engineSwarm(docker: Dockerode): Promise<'manager' | 'worker' | 'none'> {
  const s = await swarmOf(docker);
  if (s.LocalNodeState === 'active') return s.ControlAvailable ? 'manager' : 'worker';
  if (s.LocalNodeState === 'pending' || s.LocalNodeState === 'locked' || s.LocalNodeState === 'error') {
    throw new UserError(`this server's Docker engine is in swarm state "${s.LocalNodeState}"${s.Error ? ` (${s.Error})` : ''}`, 'settle it with `docker swarm` first (`docker info` shows the state), then run swarm:init again', 409);
  }
  return 'none';
}

/** `docker swarm init` on the engine (listening on 2377 on every address, advertising `addr`), or adopts a manager. */
export async function initSwarm(docker: Dockerode, addr: string | undefined): Promise<SwarmInitResult> {
  const state = await engineSwarm(docker);
  if (state === 'worker') throw new UserError("this server's Docker engine is a worker of another swarm", 'minicloud runs beside a manager: run swarm:init on a server whose engine is in no swarm (or a manager)', 409);
  if (state === 'none') {
    try {
      await docker.swarmInit({ ListenAddr: '0.0.0.0:2377', ...(addr && { AdvertiseAddr: addr }), ForceNewCluster: false });
    } catch (e) {
      const msg = String((e as { json?: { message?: string } }).json?.message ?? (e as Error).message);
      if (/advertise|multiple addresses|interface/i.test(msg)) {
        throw new UserError(`Docker could not choose the address other nodes reach this server at: ${msg}`, "name this server's private address: `minicloud swarm:init --advertise-addr <private IP>`", 400);
      }
      throw e;
    }
  }
  const s = await swarmOf(docker);
  return { adopted: state === 'manager', address: `${s.NodeAddr ?? '?'}:2377`, nodes: s.Nodes ?? 1 };
}
