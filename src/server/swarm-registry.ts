// The registry every swarm node pulls release images from: the operator's (MINICLOUD_SWARM_REGISTRY), else one
// minicloud runs itself on this manager, on the address the nodes reach this server by, its CA trusted by this
// server's engine (/etc/docker/certs.d/<host:port>/ca.crt; `nodes:add` prints the lines for the others).
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, type Logger } from '../core/index.ts';
import type { SwarmRegistry } from '../build/index.ts';
import { OwnRegistry } from '../registry/index.ts';
import type { Config, Paths } from './config.ts';
import type { Lifecycle } from './lifecycle.ts';

/** The manager's engine, asked where this server stands in the swarm. */
interface Engine { info(): Promise<unknown> }

/** Where Docker engines look for a registry's CA (Docker's own path; the same on every node). */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

export interface ChosenRegistry extends SwarmRegistry {
  /** Set when minicloud runs the registry: its garbage collection and the CA nodes trust. */
  own?: OwnRegistry;
}

export async function swarmRegistry(cfg: Config, p: Paths, docker: Engine, log: Logger, life: Lifecycle): Promise<ChosenRegistry> {
  const r = cfg.swarmRegistry;
  if (r && /^[a-z0-9.-]+(:\d{1,5})?$/i.test(r)) return { host: r, ...(cfg.swarmRegistryAuth && { auth: { ...cfg.swarmRegistryAuth, serveraddress: r } }) };
  if (r) throw new UserError(`MINICLOUD_SWARM_REGISTRY=${r} is not a registry address`, 'set MINICLOUD_SWARM_REGISTRY=<host>:<port> of a registry every node can pull from, or leave it unset: minicloud then runs its own on this manager');
  const ip = await addressTowardsSwarm(docker);
  const own = await OwnRegistry.start({ dir: p.registry, ip, port: cfg.swarmRegistryPort, log: log.child('registry') });
  life.add("swarm's registry", () => own.stop(), { timeoutMs: 15_000 });
  trustOnThisServer(own, log);
  return { host: own.host, auth: own.auth, own, shared: (fn) => own.shared(fn), forget: (app, keep) => own.forget(app, keep) };
}

/**
 * This server's address on the swarm's private network: the one its packets to the manager's advertise address leave
 * from (the advertise address itself when this server is the manager, as it is where minicloud runs).
 */
async function addressTowardsSwarm(docker: Engine): Promise<string> {
  const info = (await docker.info()) as { Swarm?: { NodeAddr?: string } };
  const target = info.Swarm?.NodeAddr;
  if (!target || target === '0.0.0.0') {
    throw new UserError("the swarm manager reports no advertise address: minicloud's registry would not know where to listen", 'make the swarm with `docker swarm init --advertise-addr <private address>`, or set MINICLOUD_SWARM_REGISTRY');
  }
  const s = createSocket(target.includes(':') ? 'udp6' : 'udp4');
  try {
    // connect() on UDP sends nothing: the kernel picks the route and the source address.
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(2377, target, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

/** The manager's engine pushes over TLS too: it trusts minicloud's CA where Docker looks (root only). */
function trustOnThisServer(own: OwnRegistry, log: Logger): void {
  const dir = join(DOCKER_CERTS_DIR, own.host);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.crt'), own.caPem, { mode: 0o644 });
  } catch (e) {
    log.warn(`could not write ${dir}/ca.crt (${(e as Error).message}): pushes to the swarm's registry fail until this server's Docker trusts it; run the lines \`minicloud nodes:add\` prints here too`);
  }
}
