// Pure builders of Swarm service specs: what an instance's (or a one-off run's) service looks like, testable without
// a swarm. The container inside is the Docker runtime's (same env, PORT, DYNO, limits, least privilege, init).
import type Dockerode from 'dockerode';
import { typeUser } from '../core/index.ts';
import { capabilities, containerPort, engineHealthcheck } from './container-spec.ts';
import type { InstanceSpec } from './runtime.ts';
import { ENV_FILE, PLAIN_ENV, secretRef } from './swarm-secrets.ts';

/** The service's own secret (swarm-secrets.ts) holding its config, and the image's user who reads it. */
export interface EnvSecret { id: string; name: string; user: { uid: number; gid: number } | null }

export interface ServiceOptions {
  /** Memory limit when the spec gives none (MiB). */
  defaultMemoryMb: number;
  defaultCpu?: number;
  defaultPids?: number;
  /** What a stop waits for before SIGKILL: Swarm fixes it when the service is made (Runtime.stop's own is a ceiling). */
  stopGraceMs: number;
  /** The node the instance is placed on: the one holding its volumes (the manager), else the least busy. */
  node?: string;
}

export const LABEL = 'minicloud.app';

/** The service's name: unique per instance, readable in `docker service ls`. */
export const serviceName = (spec: InstanceSpec, kind: 'run' | 'instance') => `mc-${spec.app}-${kind === 'run' ? 'run' : spec.type}-${spec.id.slice(0, 8)}`;

export function serviceSpec(spec: InstanceSpec, kind: 'run' | 'instance', image: string, network: string, mounts: Array<{ hostDir: string; target: string }>, opts: ServiceOptions, secret: EnvSecret): Dockerode.ServiceSpec {
  const port = containerPort(spec);
  const labels = { [LABEL]: spec.app, 'minicloud.release': String(spec.release), 'minicloud.type': spec.type, 'minicloud.instance': spec.id, 'minicloud.kind': kind };
  return {
    Name: serviceName(spec, kind),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: containerOf(spec, image, port, labels, mounts, opts, secret),
      Resources: { Limits: limits(spec, opts) },
      // minicloud's supervisor restarts crashed instances (with backoff and health checks); Swarm restarting them
      // too would make two restarters racing for one app. A run ends once.
      RestartPolicy: { Condition: 'none' },
      Placement: { Constraints: opts.node ? [`node.id==${opts.node}`] : [] },
      Networks: [{ Target: network, Aliases: kind === 'run' ? [] : [spec.type, `${spec.app}-${spec.type}`] }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '2' } },
    },
    Mode: kind === 'run' ? { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } : { Replicated: { Replicas: 1 } },
    // No virtual IP and no routing mesh: they need IPVS (absent on some kernels, where Swarm accepts such a spec and
    // silently does not route) and the mesh hides client addresses. The router reaches each task on the port its node
    // publishes for it (host mode; the node picks a free one).
    EndpointSpec: kind === 'run'
      ? { Mode: 'dnsrr' }
      : { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: port, PublishMode: 'host' }] },
  };
}

function containerOf(spec: InstanceSpec, image: string, port: number, labels: Record<string, string>, mounts: Array<{ hostDir: string; target: string }>, opts: ServiceOptions, secret: EnvSecret): Dockerode.ContainerSpec {
  // Config vars are in the secret, sourced before the command; only what minicloud sets itself is in the spec.
  const plain = { ...Object.fromEntries(Object.entries(spec.env).filter(([k]) => PLAIN_ENV.has(k))), PORT: String(port), DYNO: `${spec.type}.${spec.id.slice(0, 8)}` };
  const user = typeUser(spec.artifact, spec.type);
  const healthcheck = engineHealthcheck(spec);
  return {
    Image: image,
    // Through a shell, as Procfile commands are written; `exec` so the app gets the signals.
    Command: ['/bin/sh', '-c'],
    Args: [`. ${ENV_FILE} && exec ${spec.command}`],
    ...(user && { User: `${user.uid}:${user.gid}` }),
    ...(healthcheck && { HealthCheck: healthcheck }),
    Env: Object.entries(plain).map(([k, v]) => `${k}=${v}`),
    Secrets: [secretRef(secret, secret.user)],
    Labels: labels,
    // An init as PID 1 forwards SIGTERM: without it a stop waits out the whole grace period.
    Init: true,
    StopGracePeriod: opts.stopGraceMs * 1e6,
    // No capabilities (NET_RAW would let it spoof on the overlay) but binding a low port when the manifest asks, and a
    // database image's chown-then-drop-root (container-spec.ts's capabilities).
    // (no-new-privileges has no service field before API 1.46; engines of this Debian's age ignore one.)
    CapabilityDrop: ['ALL'],
    CapabilityAdd: capabilities(spec, port),
    Mounts: mounts.map((m) => ({ Type: 'bind' as const, Source: m.hostDir, Target: m.target })),
  };
}

function limits(spec: InstanceSpec, opts: ServiceOptions): Record<string, number> {
  const cpu = spec.cpu ?? opts.defaultCpu;
  return {
    MemoryBytes: (spec.memoryMb ?? opts.defaultMemoryMb) * 1024 * 1024,
    Pids: spec.pids ?? opts.defaultPids ?? 512,
    ...(cpu && { NanoCPUs: Math.round(cpu * 1e9) }),
  };
}
