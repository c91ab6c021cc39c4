// Finding a Docker engine: DOCKER_HOST or the default socket, asked with a short timeout. dockerode (with the gRPC,
// protobuf and ssh2 code it pulls in: ~18 MB of minicloud's memory) is loaded only when there is an engine to ask.
import { existsSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { UserError } from '../core/index.ts';

const DEFAULT_SOCKET = '/var/run/docker.sock';

export type RuntimeChoice = 'docker' | 'process' | 'swarm' | 'auto';

export function runtimeChoice(raw: string | undefined): RuntimeChoice {
  if (!raw) return 'auto';
  if (raw === 'docker' || raw === 'process' || raw === 'swarm') return raw;
  throw new UserError(`MINICLOUD_RUNTIME=${raw} is not a runtime`, 'set MINICLOUD_RUNTIME=docker, process or swarm, or leave it unset to use Docker when it answers');
}

/** The engine client when one answers; null when none does and `auto` allows falling back. */
export async function connectDocker(choice: RuntimeChoice, dockerHost = process.env.DOCKER_HOST): Promise<{ docker: Dockerode; version: string } | null> {
  if (choice === 'process') return null;
  // No engine configured and no socket where Docker puts it: host processes, without loading dockerode.
  if (choice === 'auto' && !dockerHost && !existsSync(DEFAULT_SOCKET)) return null;
  const { default: Docker } = await import('dockerode');
  // dockerode reads DOCKER_HOST itself; without it, the default socket.
  const docker = dockerHost ? new Docker() : new Docker({ socketPath: DEFAULT_SOCKET });
  try {
    const v = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
    ]);
    if (choice === 'swarm') await swarmManager(docker);
    return { docker, version: v.Version };
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (choice === 'auto') return null;
    throw new UserError(
      `MINICLOUD_RUNTIME=${choice}, but the Docker engine at ${dockerHost ?? `unix://${DEFAULT_SOCKET}`} does not answer (${(e as Error).message})`,
      'start the engine (e.g. `systemctl start docker`), point DOCKER_HOST at it, or use MINICLOUD_RUNTIME=process',
    );
  }
}

/** MINICLOUD_RUNTIME=swarm runs beside a manager of an active swarm: services are made through it. */
async function swarmManager(docker: Dockerode): Promise<void> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.ControlAvailable) {
    throw new UserError(
      `MINICLOUD_RUNTIME=swarm, but this Docker engine is ${info.Swarm?.LocalNodeState === 'active' ? 'a swarm worker, not a manager' : 'not part of a swarm'}`,
      'run minicloud on a swarm manager (`docker swarm init --advertise-addr <private address>` makes this server one), or use MINICLOUD_RUNTIME=docker',
    );
  }
}
