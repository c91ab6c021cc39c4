// The networks app containers join: the shared bridge (the router reaches every container there, containers cannot
// reach each other), and one network per app on which its own containers reach each other by name.
import type Dockerode from 'dockerode';
import { canFence, ensureRule, removeTagged } from '../core/index.ts';

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

/** The name of an app's own network, beside the shared one named `shared`. */
export const appNetworkName = (shared: string, app: string) => `${shared}-app-${app}`;

/** What an app's containers are called on its own network: their process type (`web`, `worker`) and `<app>-<type>`. */
export const appAliases = (app: string, type: string) => [type, `${app}-${type}`];

/**
 * An app's own network, made when missing: internal (no gateway: containers go out through the shared bridge),
 * open between its own containers. Nothing else comes in: an engine that manages iptables isolates internal
 * networks itself; where minicloud runs as root beside the engine it also refuses whatever would be forwarded
 * into the bridge from another (another app's container routing through the host).
 */
export async function ensureOwnNetwork(docker: Dockerode, name: string, app: string, only?: { peers: string[] }): Promise<void> {
  let info: Dockerode.NetworkInspectInfo;
  try {
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  } catch (e) {
    if (!gone(e)) throw e;
    // The app's only network (`only`) needs a way out; other apps' networks stay apart (the engine isolates bridges).
    await docker.createNetwork({ Name: name, Driver: 'bridge', Internal: !only, Labels: { 'minicloud.network': '1', 'minicloud.app': app } })
      .catch((err: unknown) => { if ((err as { statusCode?: number }).statusCode !== 409) throw err; });
    info = await docker.getNetwork(name).inspect() as Dockerode.NetworkInspectInfo;
  }
  for (const peer of only?.peers ?? []) await joinPeer(docker, name, peer, info);
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
  if (canFence(bridge)) await ensureRule('FORWARD', ['!', '-i', bridge, '-o', bridge], ['-j', 'REJECT'], `minicloud-appnet-${name}`);
}

/** A peer container (the router, an add-on server) joined to an app's network, once; one that does not exist is skipped. */
async function joinPeer(docker: Dockerode, network: string, peer: string, info: Dockerode.NetworkInspectInfo): Promise<void> {
  if (Object.values(info.Containers ?? {}).some((c) => c.Name === peer)) return;
  await docker.getNetwork(network).connect({ Container: peer }).catch((e: unknown) => {
    const code = (e as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 403 && code !== 409) throw e; // missing, or joined meanwhile
  });
}

/** Removes an app's own network and its firewall rule (the app is gone); containers still on it are cut off first. */
export async function removeOwnNetwork(docker: Dockerode, name: string): Promise<void> {
  const net = docker.getNetwork(name);
  try {
    const info = await net.inspect() as Dockerode.NetworkInspectInfo;
    for (const id of Object.keys(info.Containers ?? {})) await net.disconnect({ Container: id, Force: true }).catch(() => {});
    await net.remove();
  } catch (e) {
    if (!gone(e)) throw e;
  }
  if (process.getuid?.() === 0) await removeTagged('FORWARD', `minicloud-appnet-${name}`).catch(() => { /* no iptables here */ });
}
