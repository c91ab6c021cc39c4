// Image deploys: a published image pulled (or found in the engine), its manifest read from inside it, tagged as a release.
import type Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { UserError, validateImageRef, type Artifact, type ImageOrigin, type Manifest, type RegistryAuth, type ImageRunAs, type ServiceImage } from '../core/index.ts';
import { pushImage, repositoryFor, type SwarmRegistry } from './registry-push.ts';
import { imageArtifact, imageCommand } from './image-artifact.ts';
import { MANIFEST_FILES, parseManifest } from './manifest.ts';
import { FILE_LIMIT } from './tree-file.ts';

export interface ImportRequest {
  app: string;
  /** The image reference, e.g. `ghcr.io/me/app:1.2`. */
  image: string;
  version: number;
  auth?: RegistryAuth;
  /** The processes and manifest to run it with (a catalog entry's) instead of the image's own command and manifest. */
  runAs?: ImageRunAs;
  log: (line: string) => void;
}

export class ImageImporter {
  /** `registry`: on a swarm, release images are named under it and pushed there, where every node pulls. */
  constructor(private readonly docker: Dockerode, private readonly registry?: SwarmRegistry) {}

  async import(req: ImportRequest): Promise<Artifact> {
    const ref = validateImageRef(req.image);
    refuseOthers(ref, req.app);
    await this.pull(ref, req);
    const info = await this.docker.getImage(ref).inspect();
    refuseOthers(ref, req.app, info.Config.Labels);
    req.log(`-----> Using ${ref} (${info.Id.slice(7, 19)}, ${Math.round(info.Size / 1e6)} MB)`);
    const manifest = req.runAs?.manifest ?? await this.manifest(ref, info.Config.WorkingDir);
    const tag = `${repositoryFor(req.app, this.registry)}:v${req.version}`;
    const [repo, version] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    await this.docker.getImage(ref).tag({ repo, tag: version });
    if (this.registry) await pushImage(this.docker, tag, this.registry, req.log);
    const origin = originOf(ref, info.Id, info.Config.Labels);
    const web = imageCommand(info);
    if (req.runAs) {
      const own = req.runAs.services ?? {};
      // A Compose service without a command runs the image's own.
      const processes = Object.fromEntries(Object.entries(req.runAs.processes).filter(([type]) => !own[type]).map(([type, cmd]) => {
        if (cmd || web) return [type, (cmd || web)!];
        throw new UserError(`${ref} has no CMD or ENTRYPOINT, and its ${type} process gives no command`, 'give the service a command');
      }));
      const services = await this.services({ app: req.app, version: req.version, services: own, processes: req.runAs.processes, log: req.log });
      return {
        ...imageArtifact(tag, 'image', { ...processes, ...services.processes }, manifest), origin,
        ...(req.runAs.user && { user: req.runAs.user }), ...(Object.keys(own).length && { services: services.services }),
      };
    }
    if (!web) throw new UserError(`${ref} has no CMD or ENTRYPOINT, so there is nothing to run`, 'deploy an image whose Dockerfile ends with CMD [...]');
    return { ...imageArtifact(tag, 'image', { web }, manifest), origin };
  }

  /**
   * A Compose file's services with images of their own (a database beside the app): each pulled (or the engine's own
   * copy), tagged `<release tag>-<type>` (pruned and kept with its release), run with its command or the image's own.
   */
  async services(req: { app: string; version: number; services: Record<string, ServiceImage>; processes: Record<string, string>; log: (line: string) => void }): Promise<{ services: Record<string, ServiceImage>; processes: Record<string, string> }> {
    const services: Record<string, ServiceImage> = {};
    const processes: Record<string, string> = {};
    for (const [type, s] of Object.entries(req.services)) {
      const ref = validateImageRef(s.image);
      refuseOthers(ref, req.app);
      await this.pull(ref, req);
      const info = await this.docker.getImage(ref).inspect();
      refuseOthers(ref, req.app, info.Config.Labels);
      req.log(`-----> ${type} runs ${ref} (${info.Id.slice(7, 19)}, ${Math.round(info.Size / 1e6)} MB)${s.stateful ? ': one instance with its volume, stopped before its replacement starts' : ''}`);
      const tag = `${repositoryFor(req.app, this.registry)}:v${req.version}-${type}`;
      await this.docker.getImage(ref).tag({ repo: tag.slice(0, tag.lastIndexOf(':')), tag: tag.slice(tag.lastIndexOf(':') + 1) });
      if (this.registry) await pushImage(this.docker, tag, this.registry, req.log);
      const cmd = req.processes[type] || imageCommand(info);
      if (!cmd) throw new UserError(`services.${type}: ${ref} has no CMD or ENTRYPOINT, and the service gives no command`, 'give the service a command');
      services[type] = { ...s, image: tag };
      processes[type] = cmd;
    }
    return { services, processes };
  }

  /** Pulls the reference; when no registry answers, the engine's own copy (a locally built image) serves. */
  private async pull(ref: string, req: Pick<ImportRequest, 'auth' | 'log'>): Promise<void> {
    req.log(`-----> Pulling ${ref}`);
    try {
      const stream = await this.docker.pull(ref, req.auth ? { authconfig: req.auth } : {});
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (p: { status?: string; id?: string }) => {
          if (p.status && !p.id) req.log(`       ${p.status}`);
        }));
    } catch (e) {
      const local = await this.docker.getImage(ref).inspect().then(() => true, () => false);
      const why = (e as Error).message.split('\n')[0];
      if (!local) throw new UserError(`could not pull ${ref}: ${why}`, 'check the reference and the registry credentials (--registry-user/--registry-password), and that this server can reach the registry');
      req.log(`       the registry did not answer (${why}); using the engine's own copy of ${ref}`);
    }
  }

  /** `cloud_manifest.yml` (`.yaml`, `.json`) at the image's root or in its working directory; none: an empty manifest. */
  private async manifest(ref: string, workdir: string): Promise<Manifest> {
    const dirs = [...new Set(['/', workdir || '/'])];
    const container = await this.docker.createContainer({ Image: ref, Entrypoint: ['/bin/true'], Cmd: [], Labels: { 'minicloud.scratch': '1' } });
    try {
      for (const dir of dirs) {
        for (const name of MANIFEST_FILES) {
          const text = await readFile(container, `${dir.replace(/\/$/, '')}/${name}`);
          if (text !== null) return parseManifest(text, name); // errors name the file and field
        }
      }
      return {};
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }
}

const OCI = 'org.opencontainers.image.';

/**
 * The image's OCI labels that say where it came from. They are its publisher's words: control characters go, each
 * is cut short, and a revision that is no commit id is dropped (it would be shown as one).
 */
export function originOf(ref: string, id: string, labels?: Record<string, string> | null): ImageOrigin {
  const label = (name: string, max: number) => {
    const v = labels?.[OCI + name];
    if (typeof v !== 'string') return undefined;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    const clean = v.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, max);
    return clean || undefined;
  };
  const revision = label('revision', 64);
  const picked = {
    source: label('source', 300), revision: revision && /^[0-9a-f]{7,64}$/i.test(revision) ? revision.toLowerCase() : undefined,
    authors: label('authors', 200), title: label('title', 200), description: label('description', 500),
  };
  return { ref, id, ...Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) };
}

/** `host:5000/name:tag@sha256:…` → `host:5000/name`, by code (the reference comes from the user). */
function withoutTagOrDigest(ref: string): string {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/**
 * An app may not deploy another app's images: `minicloud/<app>` names (and images labelled `minicloud.app`) are
 * the releases this server built or imported, holding that app's code; a local copy would be used when no
 * registry answers.
 */
export function refuseOthers(ref: string, app: string, labels?: Record<string, string> | null): void {
  const repo = withoutTagOrDigest(ref).replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  const named = /^minicloud\/([^/]+)$/.exec(repo)?.[1];
  const owner = labels?.['minicloud.app'];
  const other = named !== undefined && named !== app ? named : owner && owner !== app ? owner : null;
  if (other === null) return;
  throw new UserError(`${ref} is another app's image (${other}'s) on this server; an app deploys its own images or published ones`,
    'push the image to a registry and deploy it from there, or deploy the other app\'s code with git push');
}

async function readFile(container: Dockerode.Container, path: string): Promise<string | null> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return null;
    throw e;
  }
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let text: string | null = null;
    extract.on('entry', (header, stream, next) => {
      // The image is its publisher's: a manifest of gigabytes must not be read into memory.
      if (header.type === 'file' && (header.size ?? 0) > FILE_LIMIT) {
        reject(new UserError(`${path} in the image is ${header.size} bytes; minicloud reads at most ${FILE_LIMIT}`, 'keep the manifest small: it lists a few fields'));
        extract.destroy();
        (archive as unknown as { destroy?: () => void }).destroy?.();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      stream.on('end', () => {
        if (header.type === 'file' && text === null) text = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', () => resolve(text));
    extract.on('error', reject);
    archive.on('error', reject); // a dropped engine connection (after our own destroy above: already settled)
    archive.pipe(extract);
  });
}
