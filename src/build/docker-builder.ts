// The Docker builder: the buildpack's Dockerfile (or the repository's own) over the streamed context, into minicloud/<app>:v<N>.
import { pullFailure } from './pull-failure.ts';
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { UserError, cpuShares, type Artifact } from '../core/index.ts';
import { PREVIEW_BUILD_WEIGHT, type BuildRequest, type Builder } from './builder.ts';
import { buildContext, readDockerignore, supportFiles } from './context.ts';
import { checkDockerfile } from './dockerfile-check.ts';
import { extractTar } from './extract.ts';
import { FILE_LIMIT, readTreeFile } from './tree-file.ts';
import { ensureBuildNetwork } from './build-network.ts';
import { imageArtifact, imageCommand } from './image-artifact.ts';
import { readManifest } from './manifest.ts';
import { pushImage, repositoryFor, type SwarmRegistry } from './registry-push.ts';

export interface DockerBuilderOptions {
  /** Memory cap of each build (MiB): a build past it is killed, not the server. */
  memoryMb: number;
  timeoutMs: number;
  /** An extra CA bundle for builds behind a TLS-inspecting proxy (MINICLOUD_BUILD_CA_BUNDLE). */
  caBundle?: string;
  /** How many of an app's images are kept (besides those releases still use), for rollbacks. */
  keepImages: number;
  /** The network build steps run on (see build-network.ts); the engine's default bridge when unset. */
  network?: string;
  /**
   * A registry every node of a swarm pulls from (`host:port`: MINICLOUD_SWARM_REGISTRY, or minicloud's own): images
   * are named under it and pushed there after the build, with `auth` when it asks for credentials.
   */
  registry?: SwarmRegistry;
}

interface Progress { stream?: string; error?: string; errorDetail?: { message?: string; code?: number }; aux?: { ID?: string } }

export const imageName = (app: string) => repositoryFor(app);

const APP_LABEL = 'minicloud.app';

export class DockerBuilder implements Builder {
  readonly name = 'docker';
  private network: Promise<unknown> | null = null;

  constructor(private readonly docker: Dockerode, private readonly opts: DockerBuilderOptions) {}

  /** Only the top-level files are read here (detection, manifest); the tree streams from the archive. */
  unpack(sourceTar: string, dir: string): Promise<void> {
    return extractTar(sourceTar, dir, true);
  }

  async build(req: BuildRequest): Promise<Artifact> {
    if (!req.sourceTar || !req.version) throw new Error('the Docker builder needs the source archive and the release version');
    const manifest = req.manifest ?? readManifest(req.sourceDir);
    const tag = `${this.repository(req.app)}:v${req.version}`;
    const own = req.plan.dockerfile === null;
    if (own) checkDockerfile(readTreeFile(req.sourceDir, 'Dockerfile', { limit: FILE_LIMIT }) ?? '');
    req.log(own ? '-----> Building the repository\'s Dockerfile' : `-----> Building with the ${req.plan.buildpack} buildpack`);
    const extra: Record<string, Buffer | string> = own ? {} : { ...supportFiles(req.plan), Dockerfile: readFileSync(req.plan.dockerfile!) };
    // Always present, so a buildpack Dockerfile can COPY it unconditionally; empty means none.
    extra['extra-ca.crt'] = this.opts.caBundle ? readFileSync(this.opts.caBundle) : '';
    // The build script as the plan runs it without npm (node: `npm run build` resolved from package.json).
    const [step] = req.plan.build;
    if (!own && step && req.plan.run?.[step]) extra['build-command'] = req.plan.run[step];
    const context = buildContext({ sourceTar: req.sourceTar, dockerignore: readDockerignore(req.sourceDir), extra });
    const memory = this.opts.memoryMb * 1024 * 1024;
    const network = this.opts.network;
    if (network) await (this.network ??= ensureBuildNetwork(this.docker, network).catch((e: unknown) => { this.network = null; throw e; }));
    // Config vars are deliberately not build args: build args end up in the image's history.
    const stream = await this.docker.buildImage(context, {
      t: tag,
      dockerfile: own ? 'Dockerfile' : '.minicloud/Dockerfile',
      // A buildpack's Dockerfile labels the image with its app from this argument, before the code: a cached layer. Labels
      // given to the build come after everything (the legacy builder commits a container for each at every push), so
      // only a repository's own Dockerfile gets one that way; the release lives in the tag and `releases:info`.
      buildargs: own ? req.plan.buildArgs : { ...req.plan.buildArgs, MINICLOUD_APP: req.app },
      ...(own && { labels: { [APP_LABEL]: req.app } }),
      memory,
      memswap: memory,
      // Against every container's 1024 (a running app's too).
      ...(req.preview && { cpushares: cpuShares(PREVIEW_BUILD_WEIGHT) }),
      ...(network && { networkmode: network }),
      rm: true,
      forcerm: true,
    });
    await this.follow(stream, req.log);
    if (this.opts.registry) await pushImage(this.docker, tag, this.opts.registry, req.log);
    const processes = { ...req.plan.processes };
    if (own) Object.assign(processes, await this.defaultWeb(tag, processes));
    return imageArtifact(tag, req.plan.buildpack, processes, manifest);
  }

  /** Removes the app's images past the `keepImages` most wanted (the current release's always stays). */
  async prune(app: string, wanted: string[]): Promise<void> {
    const keep = new Set(wanted.slice(0, Math.max(1, this.opts.keepImages)));
    // By name, not label: imported images (image deploys) carry their publisher's labels only.
    const repository = this.repository(app);
    const images = await this.docker.listImages({ filters: { reference: [repository] } });
    const tags = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${repository}:v`));
    // `<release tag>-<type>`: a Compose service's own image (image-import.ts), kept with its release's.
    const kept = (t: string) => keep.has(t) || (t.lastIndexOf('-') > t.lastIndexOf(':') && keep.has(t.slice(0, t.lastIndexOf('-'))));
    for (const t of tags) {
      if (kept(t)) continue;
      await this.docker.getImage(t).remove().catch(() => {}); // in use by a container, or gone: next time
    }
    // The same tags in minicloud's own registry (their layers go at its garbage collection, `minicloud prune`).
    await this.opts.registry?.forget?.(app, (tag) => kept(`${repository}:${tag}`));
    // The app's untagged images (a build's earlier stages, a tag moved on): nothing runs or rolls back to them.
    // Called between the app's builds only (one deploy of an app at a time; `prune` skips an app that is deploying).
    await this.docker.pruneImages({ filters: { dangling: ['true'], label: [`${APP_LABEL}=${app}`] } });
  }

  /** Where the app's images are named: under the swarm's registry when there is one. */
  private repository(app: string): string {
    return repositoryFor(app, this.opts.registry);
  }

  /**
   * apps:rename: each <repository of from>:vN tagged <repository of to>:vN, the old tag removed (the image stays);
   * on a swarm the new tags are pushed to its registry too, so every node can pull them.
   */
  async rename(from: string, to: string): Promise<void> {
    const [old, repo] = [this.repository(from), this.repository(to)];
    const images = await this.docker.listImages({ filters: { reference: [old] } });
    for (const t of images.flatMap((i) => i.RepoTags ?? []).filter((x) => x.startsWith(`${old}:`))) {
      const tag = t.slice(old.length + 1);
      await this.docker.getImage(t).tag({ repo, tag });
      if (this.opts.registry) await pushImage(this.docker, `${repo}:${tag}`, this.opts.registry, () => {});
      await this.docker.getImage(t).remove({ noprune: true });
    }
  }

  /**
   * Per app, its images' unique size (the engine's own accounting, `docker system df -v`): layers no other image
   * shares. Base layers are counted nowhere, and neither is a layer two of the app's own releases share (a lower bound).
   */
  async usage(): Promise<Map<string, number>> {
    const df = (await this.docker.df()) as { Images?: Array<{ Size: number; SharedSize: number; RepoTags?: string[] | null; Labels?: Record<string, string> | null }> };
    const out = new Map<string, number>();
    for (const i of df.Images ?? []) {
      const tag = (i.RepoTags ?? []).find((t) => t.startsWith('minicloud/') && t.includes(':v'));
      const app = tag ? tag.slice('minicloud/'.length, tag.lastIndexOf(':')) : i.Labels?.['minicloud.app'];
      if (!app) continue;
      out.set(app, (out.get(app) ?? 0) + Math.max(0, i.Size - Math.max(0, i.SharedSize)));
    }
    return out;
  }

  /** A repository Dockerfile without a Procfile: `web` runs the image's own command. */
  private async defaultWeb(tag: string, processes: Record<string, string>): Promise<Record<string, string>> {
    if (processes.web) return {};
    const web = imageCommand(await this.docker.getImage(tag).inspect());
    if (!web) throw new UserError('the Dockerfile has no CMD and there is no Procfile', 'add `CMD [...]` to the Dockerfile or a `web:` line to a Procfile');
    return { web };
  }

  private follow(stream: NodeJS.ReadableStream, log: (l: string) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let failure: string | null = null;
      const timer = setTimeout(() => {
        failure = `the build took longer than ${Math.round(this.opts.timeoutMs / 1000)} s`;
        (stream as unknown as { destroy(): void }).destroy();
      }, this.opts.timeoutMs);
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          clearTimeout(timer);
          if (failure ?? err) reject(this.failed(failure ?? err!.message));
          else resolve();
        },
        (p: Progress) => {
          if (p.stream) for (const line of p.stream.replace(/\n$/, '').split('\n')) if (line.trim()) log(`       ${line}`);
          if (p.error) failure ??= p.errorDetail?.message ?? p.error;
        },
      );
    });
  }

  private failed(message: string): Error {
    if (/non-zero code: 137\b/.test(message) || /killed|out of memory|OOM/i.test(message)) {
      return new UserError(
        `the build ran out of memory (its cap is ${this.opts.memoryMb} MiB) and was killed`,
        'raise the cap with MINICLOUD_BUILD_MEMORY (MiB), add swap to the server, or make the build use less memory; the running release was not touched',
      );
    }
    const pull = pullFailure(message);
    if (pull) return new UserError(pull.message, pull.hint);
    return new UserError(`the image build failed: ${message.trim()}`, 'fix the error above, commit, and push again');
  }
}
