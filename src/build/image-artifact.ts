// What the Docker builder and image deploys share: an image's own command as a shell line, and the artifact of an image.
import type Dockerode from 'dockerode';
import type { Artifact, Manifest } from '../core/index.ts';

/** The image's ENTRYPOINT + CMD as one line for `/bin/sh -c` (how the runtime runs processes), or null without one. */
export function imageCommand(info: Dockerode.ImageInspectInfo): string | null {
  const words = [...(info.Config.Entrypoint ?? []), ...(info.Config.Cmd ?? [])];
  return words.length ? words.map(shellQuote).join(' ') : null;
}

/** A runnable image: the manifest's health check and exposed port travel with it. */
export function imageArtifact(ref: string, buildpack: string, processes: Record<string, string>, manifest: Manifest): Artifact {
  return {
    kind: 'image', ref, buildpack, processes, manifest,
    ...(manifest.healthcheck && { healthcheck: manifest.healthcheck }),
    ...(manifest.expose && { port: manifest.expose.port }),
  };
}

function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}
