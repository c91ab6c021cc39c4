// Pushing a release image to the swarm's registry, where every node pulls it from (MINICLOUD_SWARM_REGISTRY).
import type Dockerode from 'dockerode';
import { UserError } from '../core/index.ts';

export interface SwarmRegistry {
  /** `host:port` */
  host: string;
  auth?: Dockerode.AuthConfig;
}

/** The engine's image named `tag` to the registry; a failure is the deploy's, saying what to check. */
export async function pushImage(docker: Dockerode, tag: string, registry: SwarmRegistry, log: (l: string) => void): Promise<void> {
  log(`-----> Pushing the image to the swarm's registry (${registry.host})`);
  // The engine wants X-Registry-Auth on every push, empty credentials included (an open registry).
  const stream = await docker.getImage(tag).push({ authconfig: registry.auth ?? {} });
  await new Promise<void>((resolve, reject) => {
    let failure: string | null = null;
    docker.modem.followProgress(stream, (err: Error | null) => {
      const why = failure ?? err?.message;
      if (why) reject(new UserError(`the image could not be pushed to the swarm's registry ${registry.host}: ${why}`, 'check that the registry runs and that MINICLOUD_SWARM_REGISTRY (and its _USER and _PASSWORD) name it; the running release was not touched'));
      else resolve();
    }, (p: { error?: string; errorDetail?: { message?: string } }) => { if (p.error) failure ??= p.errorDetail?.message ?? p.error; });
  });
}

/** Where an app's release images are named: under the swarm's registry when there is one. */
export const repositoryFor = (app: string, registry?: SwarmRegistry) => (registry ? `${registry.host}/minicloud/${app}` : `minicloud/${app}`);
