// What the Docker builder and image deploys share: an image's own command as a shell line, and the artifact of an image.
import type Dockerode from 'dockerode';
import type { Artifact, Manifest } from '../core/index.ts';

/** The image's ENTRYPOINT + CMD as one line for `/bin/sh -c` (how the runtime runs processes), or null without one. */
export function imageCommand(info: Dockerode.ImageInspectInfo): string | null {
  const words = [...(info.Config.Entrypoint ?? []), ...(info.Config.Cmd ?? [])];
  return words.length ? words.map(shellQuote).join(' ') : null;
}

/** A runnable image: its manifest (health check, exposed port) travels with it. */
export function imageArtifact(image: string, buildpack: string, processes: Record<string, string>, manifest: Manifest): Artifact {
  return { kind: 'image', image, buildpack, processes, manifest };
}

function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}
