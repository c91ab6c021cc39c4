// The bridge network app containers join: made when missing, and fenced so its containers cannot reach each other.
import type Dockerode from 'dockerode';
import { canFence, ensureRule } from '../core/index.ts';

const gone = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

/**
 * Containers on it reach the router and the host's shared servers, and the internet, but not one another:
 * the engine is asked for that (`enable_icc=false`, kept by an engine that manages iptables), and where
 * minicloud runs as root beside the engine it adds the rule itself (an engine started with --iptables=false
 * keeps none). Another app is reached through the router only.
 */
export async function ensureAppNetwork(docker: Dockerode, name: string): Promise<void> {
  let info: Dockerode.NetworkInspectInfo;
  try {
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  } catch (e) {
    if (!gone(e)) throw e;
    await docker.createNetwork({
      Name: name, Driver: 'bridge', Labels: { 'minicloud.network': '1' }, Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    }).catch((err: unknown) => {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err; // created meanwhile
    });
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  }
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
  if (canFence(bridge)) await ensureRule('FORWARD', ['-i', bridge, '-o', bridge], ['-j', 'REJECT'], `minicloud-icc-${name}`);
}
