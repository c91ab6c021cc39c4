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
