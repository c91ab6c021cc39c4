// Pure builders of Docker container specs: what an instance's container looks like, testable without an engine.
import type { ContainerCreateOptions } from 'dockerode';
import { posix } from 'node:path';
import { CONTAINER_PORT, artifactPort, typeImage, typeUser, type ContainerHealthcheck } from '../core/index.ts';
import { instanceName, storageVolume, type InstanceSpec } from './runtime.ts';
import { HOLD_SCRIPT, PARKED_LABEL } from './parked-containers.ts';

export interface ContainerOptions {
  /** The user-defined bridge network every app container joins. */
  network: string;
  /** Memory limit when the spec gives none (MiB). */
  defaultMemoryMb: number;
  /** CPU quota (CPUs) and process limit when the spec gives none. */
  defaultCpu?: number;
  defaultPids?: number;
  publish?: boolean;
}

/** Where apps listen inside their container by default; the router and health checks use it. */
export { CONTAINER_PORT };

/** The web port inside the container: the manifest's `expose.port`, else 5000 (and PORT says so). */
export const containerPort = (spec: Pick<InstanceSpec, 'artifact'>) => artifactPort(spec.artifact);

// The image's own system: a volume never covers these or anything in them (an app's `/usr/data` is seen at
// `./usr/data` only) ...
const SYSTEM_DIRS = new Set(['bin', 'boot', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'proc', 'run', 'sbin', 'sys', 'usr']);
// ... nor these themselves, though what is inside may be an app's data (`/var/lib/registry`, `/opt/app/data`).
const SYSTEM_TOPS = new Set(['opt', 'root', 'tmp', 'var', 'home', 'srv', 'mnt', 'media']);

/**
 * Where a container sees its volumes: each at `./<path>` of the image's working directory (where host processes see
 * it too) and at `<path>` itself (`/data`, as Compose files and the seed's apps expect), unless that is one of the
 * image's system directories or would cover the working directory; and `STORAGE_DIR`, the storage volume's path.
 * A path the image itself declares a VOLUME is its data by the image's own word (`/var/www/html` of WordPress and
 * Nextcloud, which is their working directory; Gitea's `/etc/gitea`): it is mounted there, and there only.
 */
export function volumeMounts(spec: Pick<InstanceSpec, 'volumes'>, workdir: string, declared: readonly string[] = []): { mounts: Array<{ hostDir: string; target: string }>; storageDir?: string } {
  const mounts: Array<{ hostDir: string; target: string }> = [];
  let storageDir: string | undefined;
  const storage = storageVolume(spec);
  for (const v of spec.volumes ?? []) {
    if (declared.includes(v.path)) {
      mounts.push({ hostDir: v.hostDir, target: v.path });
      if (v === storage) storageDir = v.path;
      continue;
    }
    const relative = posix.join(workdir || '/', v.path);
    mounts.push({ hostDir: v.hostDir, target: relative });
    const parts = v.path.split('/').slice(1);
    const system = SYSTEM_DIRS.has(parts[0] ?? '') || (parts.length === 1 && SYSTEM_TOPS.has(parts[0]!));
    const coversCode = `${workdir}/`.startsWith(`${v.path}/`);
    const absolute = parts[0] !== '' && !system && !coversCode && v.path !== relative;
    if (absolute) mounts.push({ hostDir: v.hostDir, target: v.path });
    if (v === storage) storageDir = absolute ? v.path : relative;
  }
  return { mounts, ...(storageDir && { storageDir }) };
}

function image(spec: InstanceSpec): string {
  if (spec.artifact.kind !== 'image') throw new Error(`release v${spec.release} of ${spec.app} is not an image; the Docker runtime runs images only`);
  return typeImage(spec.artifact, spec.type);
}

/** A Compose `healthcheck:` of a type other than web, in the engine's form (nanoseconds); web's is minicloud's HTTP probe. */
export function engineHealthcheck(spec: Pick<InstanceSpec, 'artifact' | 'type'>): { Test: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | undefined {
  const hc: ContainerHealthcheck | undefined = spec.type === 'web' ? undefined : spec.artifact.manifest?.checks?.[spec.type];
  if (!hc) return undefined;
  const ns = (s?: number) => (s === undefined ? undefined : s * 1e9);
  const out = { Test: hc.test, Interval: ns(hc.intervalSeconds ?? 5), Timeout: ns(hc.timeoutSeconds), Retries: hc.retries, StartPeriod: ns(hc.startPeriodSeconds) };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ReturnType<typeof engineHealthcheck>;
}

/**
 * Capabilities beyond none: binding a port below 1024 when the manifest asks; and for a service that runs an image
 * of its own (a database's), what its entrypoint needs to hand its data to its own user and drop root (as the
 * official postgres, mariadb and redis images do: chown, then setuid): CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID.
 * Still no NET_RAW, NET_ADMIN, SYS_* or anything reaching past the container.
 */
export function capabilities(spec: Pick<InstanceSpec, 'artifact' | 'type'>, port: number): string[] {
  const own = spec.artifact.services?.[spec.type] ? ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'] : [];
  return [...(port < 1024 ? ['NET_BIND_SERVICE'] : []), ...own];
}

export function containerSpec(
  spec: InstanceSpec,
  name: string,
  mounts: Array<{ hostDir: string; target: string }>,
  opts: ContainerOptions,
  /** Parked for a sleeping app: started with the command held back until a signal (ParkedContainers). */
  held = false,
): ContainerCreateOptions {
  const memory = (spec.memoryMb ?? opts.defaultMemoryMb) * 1024 * 1024;
  const port = containerPort(spec);
  const env = { ...spec.env, PORT: String(port), DYNO: `${spec.type}.${spec.id.slice(0, 8)}` };
  const user = typeUser(spec.artifact, spec.type);
  const healthcheck = engineHealthcheck(spec);
  return {
    name,
    Image: image(spec),
    // Through a shell, as Procfile commands are written; `exec` so the app gets the signals. The
    // image's ENTRYPOINT is replaced too: the command is whole (a Dockerfile's own is resolved at build).
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: held ? [HOLD_SCRIPT, 'sh', spec.command] : [`exec ${spec.command}`],
    ...(user && { User: `${user.uid}:${user.gid}` }),
    ...(healthcheck && { Healthcheck: healthcheck }),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      'minicloud.app': spec.app,
      'minicloud.release': String(spec.release),
      'minicloud.type': spec.type,
      'minicloud.instance': spec.id,
      'minicloud.process': instanceName(spec),
      ...(held && { [PARKED_LABEL]: '1' }),
    },
    ExposedPorts: { [`${port}/tcp`]: {} },
    HostConfig: {
      // An init as PID 1 forwards SIGTERM: without it a stop waits out the whole grace period.
      Init: true,
      Memory: memory,
      MemorySwap: memory, // no swap on top: the limit is the limit
      ...leastPrivilege(spec, port, opts),
      NetworkMode: opts.network,
      // minicloud's supervisor restarts crashed instances (with backoff and health checks);
      // a Docker restart policy as well would make two restarters racing for one app.
      RestartPolicy: { Name: 'no' },
      Binds: mounts.map((m) => `${m.hostDir}:${m.target}`),
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      ...(opts.publish && { PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } }),
    },
  };
}

/**
 * What an app needs and nothing more: no capabilities (NET_RAW would let it spoof on the shared bridge),
 * except binding a port below 1024 when its manifest asks for one; no setuid gains; a process and CPU cap.
 */
function leastPrivilege(spec: InstanceSpec, port: number, opts: ContainerOptions): NonNullable<ContainerCreateOptions['HostConfig']> {
  const cpu = spec.cpu ?? opts.defaultCpu;
  return {
    CapDrop: ['ALL'],
    CapAdd: capabilities(spec, port),
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: spec.pids ?? opts.defaultPids ?? 512,
    ...(cpu && { NanoCpus: Math.round(cpu * 1e9) }),
  };
}
