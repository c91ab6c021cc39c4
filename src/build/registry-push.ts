// Pushing a release image to the swarm's registry, where every node pulls it from (MINICLOUD_SWARM_REGISTRY, or
// the one minicloud runs itself on the manager).
import type Dockerode from 'dockerode';
import { UserError } from '../core/index.ts';

export interface SwarmRegistry {
  /** `host:port` */
  host: string;
  auth?: Dockerode.AuthConfig;
  /** Minicloud's own registry: a push runs while no garbage collection does. */
  shared?<T>(fn: () => Promise<T>): Promise<T>;
  /** Minicloud's own registry: deletes the app's manifests whose tags `keep` refuses (their layers go at the next collection). */
  forget?(app: string, keep: (tag: string) => boolean): Promise<number>;
}

/** The engine's image named `tag` to the registry; a failure is the deploy's, saying what to check. */
export async function pushImage(docker: Dockerode, tag: string, registry: SwarmRegistry, log: (l: string) => void): Promise<void> {
  log(`-----> Pushing the image to the swarm's registry (${registry.host})`);
  const push = async () => {
    // The engine wants X-Registry-Auth on every push, empty credentials included (an open registry).
    const stream = await docker.getImage(tag).push({ authconfig: registry.auth ?? {} });
    await follow(docker, stream, registry);
  };
  await (registry.shared ? registry.shared(push) : push());
}

function follow(docker: Dockerode, stream: NodeJS.ReadableStream, registry: SwarmRegistry): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: string | null = null;
    docker.modem.followProgress(stream, (err: Error | null) => {
      const why = failure ?? err?.message;
      const check = registry.shared ? `see minicloud's log and <data>/registry/registry.log (minicloud's own registry)` : 'check that the registry runs and that MINICLOUD_SWARM_REGISTRY (and its _USER and _PASSWORD) name it';
      if (why) reject(new UserError(`the image could not be pushed to the swarm's registry ${registry.host}: ${why}`, `${check}; the running release was not touched`));
      else resolve();
    }, (p: { error?: string; errorDetail?: { message?: string } }) => { if (p.error) failure ??= p.errorDetail?.message ?? p.error; });
  });
}

/** Where an app's release images are named: under the swarm's registry when there is one. */
export const repositoryFor = (app: string, registry?: SwarmRegistry) => (registry ? `${registry.host}/minicloud/${app}` : `minicloud/${app}`);
