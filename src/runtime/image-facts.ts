// What the Docker runtimes read from an app's image (its working dir, user, declared volumes), and its volumes' host dirs.
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { ownTree, typeUser } from '../core/index.ts';
import { volumeMounts } from './container-spec.ts';
import type { InstanceSpec } from './runtime.ts';

export interface ImageFacts {
  /** The image's id (`sha256:…`): what a node that has it runs without asking a registry. */
  id: string;
  workdir: string;
  user: { uid: number; gid: number } | null;
  /** The paths its Dockerfile declares a VOLUME (its data, by its own word). */
  volumes: string[];
}

/** The image's working dir, and its user when it is numeric (the buildpacks' 10001), to own its volumes. */
export async function imageFacts(docker: Dockerode, image: string): Promise<ImageFacts> {
  const info = await docker.getImage(image).inspect();
  const m = /^(\d+)(?::(\d+))?$/.exec(info.Config.User ?? '');
  const user = m && Number(m[1]) !== 0 ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : null;
  return { id: info.Id, workdir: info.Config.WorkingDir || '/', user, volumes: Object.keys(info.Config.Volumes ?? {}) };
}

/** A volume's host directory, owned by the image's unprivileged user so the app can write it (a restore's files too). */
export async function volumeFor(hostDir: string, user: { uid: number; gid: number } | null): Promise<void> {
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  if (!user || lstatSync(hostDir).uid === user.uid) return;
  // Not root, minicloud cannot give it away: open the directory itself (its parents stay minicloud's, 0700).
  if (process.getuid?.() !== 0) chmodSync(hostDir, 0o777);
  else await ownTree(hostDir, user);
}

/**
 * An instance's volumes made ready and placed: their host directories owned by the user it runs as (the release's
 * own, a catalog entry's, else the image's numeric one), mounted where volumeMounts says. A service with an image of
 * its own (a database) hands its volume to its user itself, as in Compose, and sees its volumes where its file says.
 */
export async function placeVolumes(spec: InstanceSpec, facts: ImageFacts): Promise<ReturnType<typeof volumeMounts> & { user: ImageFacts['user'] }> {
  const own = spec.artifact.services?.[spec.type];
  const user = typeUser(spec.artifact, spec.type) ?? facts.user;
  for (const v of spec.volumes ?? []) await volumeFor(v.hostDir, own ? null : user);
  return { user, ...volumeMounts(spec, facts.workdir, own ? [...facts.volumes, ...own.volumes] : facts.volumes) };
}
