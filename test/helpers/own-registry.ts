// Test helper: minicloud on a test swarm with its own registry (no MINICLOUD_SWARM_REGISTRY), as users get it. The
// registry listens on the host's address on the swarm's network, at a free port (the default 5000 may be taken on a
// machine where tests run side by side). Every node of a test swarm shares this host's /etc, so the CA trust
// minicloud writes for the manager serves the workers too; `stop` removes it and any registry a crash left.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Minicloud } from './minicloud.ts';
import { freePort } from './net.ts';
import { pidIn, signalIf } from './proc.ts';
import type { Swarm } from './swarm.ts';

export interface OwnRegistry {
  /** host:port of minicloud's registry. */
  host: string;
  /** The settings that make minicloud run its own registry. */
  env: Record<string, string>;
  /** Stops minicloud (its registry with it), then removes what a crashed one may have left and the CA trust. */
  stop(mc: Minicloud | undefined): Promise<void>;
}

export async function ownRegistry(swarm: Swarm): Promise<OwnRegistry> {
  const port = await freePort();
  const host = `${swarm.hostIp}:${port}`;
  return {
    host,
    env: { MINICLOUD_SWARM_REGISTRY: '', MINICLOUD_SWARM_REGISTRY_PORT: String(port) },
    stop: async (mc) => {
      const pid = mc ? pidIn(join(mc.dataDir, 'registry', 'registry.pid')) : null;
      await mc?.stop();
      signalIf(pid, 'SIGKILL', /docker-registry/);
      rmSync(`/etc/docker/certs.d/${host}`, { recursive: true, force: true });
    },
  };
}
