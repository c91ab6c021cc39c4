// The network Docker builds run on: the internet (package registries, the Debian mirror) and DNS, not the host or private addresses.
import type Dockerode from 'dockerode';
import { canFence, ensureRule } from '../core/index.ts';

/** Private, shared, link-local (169.254.169.254, the cloud metadata address) and loopback ranges. */
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];

export interface BuildNetwork {
  name: string;
  /** Whether minicloud could put its rules in place (root, beside the engine); else builds reach what the engine's bridge does. */
  fenced: boolean;
}

/**
 * Made when missing. A `RUN` step on it reaches public addresses and DNS, while the host itself (minicloud's
 * API, the shared servers, anything on the bridge's gateway) and private networks are refused. The rules are
 * inserted at the top of INPUT and FORWARD, tagged `minicloud-build-<name>`.
 */
export async function ensureBuildNetwork(docker: Dockerode, name: string): Promise<BuildNetwork> {
  let info: Dockerode.NetworkInspectInfo;
  try {
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'minicloud.network': 'build' }, Options: { 'com.docker.network.bridge.enable_icc': 'false' } })
      .catch((err: unknown) => { if ((err as { statusCode?: number }).statusCode !== 409) throw err; });
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  }
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
  if (!canFence(bridge)) return { name, fenced: false };
  const tag = `minicloud-build-${name}`;
  const reject = ['-j', 'REJECT'];
  await ensureRule('INPUT', ['-i', bridge], reject, tag);
  for (const range of PRIVATE) await ensureRule('FORWARD', ['-i', bridge, '-d', range], reject, tag);
  // On top of those: DNS, wherever the host's resolver is (often a private address).
  for (const proto of ['udp', 'tcp']) await ensureRule('FORWARD', ['-i', bridge, '-p', proto, '--dport', '53'], ['-j', 'ACCEPT'], tag);
  return { name, fenced: true };
}
