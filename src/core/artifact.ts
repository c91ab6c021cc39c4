// The one place an artifact's port and health check are read, and artifacts stored by older minicloud versions.
import type { Artifact, Manifest } from './types.ts';

/** The port the web process listens on inside its container (manifest `expose.port`); default 5000. */
export const CONTAINER_PORT = 5000;
export const artifactPort = (a: Artifact): number => a.manifest?.expose?.port ?? CONTAINER_PORT;

/** The HTTP path the web process must answer below 500, and how long it may take to start; absent: any answer. */
export const artifactHealthcheck = (a: Artifact): Manifest['healthcheck'] => a.manifest?.healthcheck;

/** The same location as a string: the image reference or the release directory (what pruning keeps). */
export const artifactRef = (a: Artifact): string => (a.kind === 'image' ? a.image : a.dir);

/** What releases stored before the union hold: `ref`, and the port and health check beside the manifest. */
interface StoredBefore {
  kind: 'image' | 'dir';
  ref: string;
  buildpack: string;
  processes: Record<string, string>;
  port?: number;
  healthcheck?: Manifest['healthcheck'];
  manifest?: Manifest;
}

/** A stored artifact (a release row, a server archive's) as an Artifact, whichever minicloud version wrote it. */
export function readArtifact(stored: unknown): Artifact {
  const a = stored as Artifact | StoredBefore;
  if (!('ref' in a)) return a;
  const { kind, ref, port, healthcheck, manifest, ...rest } = a;
  const folded: Manifest = { ...(healthcheck && { healthcheck }), ...(port !== undefined && { expose: { proto: 'http' as const, port } }), ...manifest };
  const m = Object.keys(folded).length > 0 || manifest ? { manifest: folded } : {};
  return kind === 'image' ? { kind, image: ref, ...rest, ...m } : { kind, dir: ref, ...rest, ...m };
}

/** The image a process type runs: its own (a Compose service's `image:`), else the release's. */
export const typeImage = (a: Artifact & { kind: 'image' }, type: string): string => a.services?.[type]?.image ?? a.image;

/** The user a process type runs as: a service with its own image runs as that image says, the rest as the release's. */
export const typeUser = (a: Artifact, type: string): Artifact['user'] => (a.services?.[type] ? undefined : a.user);

/**
 * The volumes a process type mounts: a service with an image of its own those it names, and no other; the release's
 * other processes all the app's volumes but those (a database's files are its alone).
 */
export function typeVolumes<V extends { path: string }>(a: Artifact, type: string, all: V[]): V[] {
  const own = a.services?.[type];
  if (own) return all.filter((v) => own.volumes.includes(v.path));
  const theirs = new Set(Object.values(a.services ?? {}).flatMap((s) => s.volumes));
  return all.filter((v) => !theirs.has(v.path));
}

/** Every image a release runs: the release's and its services' own (pruning keeps them all). */
export const artifactImages = (a: Artifact): string[] => (a.kind === 'image' ? [a.image, ...Object.values(a.services ?? {}).map((s) => s.image)] : []);
