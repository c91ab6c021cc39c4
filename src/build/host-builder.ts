// The host builder: runs the plan's install and build steps in the release directory itself.
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { UserError, baseEnv, killGroup, ownTree, ownedDir, type AppUser, type AppUsers, type Artifact, type BuildPlan, type Confinement, type Group, type Limits } from '../core/index.ts';
import { PREVIEW_BUILD_WEIGHT, type BuildRequest, type Builder } from './builder.ts';
import { supportFiles } from './context.ts';
import { extractTar } from './extract.ts';
import { readManifest } from './manifest.ts';
import { reusable } from './reuse-install.ts';
import { runStep } from './run-step.ts';

export interface HostBuilderOptions {
  /** Per-app caches (npm's and the like) live under here, reused by the next build. */
  cacheDir: string;
  stepTimeoutMs: number;
  /** An extra CA bundle for builds behind a TLS-inspecting proxy (MINICLOUD_BUILD_CA_BUNDLE). */
  caBundle?: string;
  /** Per-app Unix users (minicloud as root): the steps run as the app's user, in a tree it owns. */
  users?: AppUsers;
  /** Each build's steps run in one cgroup of their own with `limits(app)`, where the host has cgroups. */
  confine?: Confinement;
  limits?: (app: string) => Limits;
}

export class HostBuilder implements Builder {
  readonly name = 'host';

  constructor(private readonly opts: HostBuilderOptions) {}

  /** The whole tree: the steps run in it. */
  unpack(sourceTar: string, dir: string): Promise<void> {
    return extractTar(sourceTar, dir);
  }

  async build(req: BuildRequest): Promise<Artifact> {
    if (req.plan.dockerfile === null) {
      throw new UserError('this app is built from its own Dockerfile, and a Dockerfile app needs the Docker runtime',
        'run minicloud where a Docker engine answers (DOCKER_HOST or /var/run/docker.sock; MINICLOUD_RUNTIME=docker), or remove the Dockerfile to build with a buildpack');
    }
    const manifest = req.manifest ?? readManifest(req.sourceDir);
    const cache = join(this.opts.cacheDir, req.app);
    mkdirSync(cache, { recursive: true });
    const user = (await this.opts.users?.ensure(req.app)) ?? null;
    const planEnv = Object.fromEntries(Object.entries(req.plan.env).map(([k, v]) => [k, v.replaceAll('{cache}', cache)]));
    const env = baseEnv({
      ...req.config,
      ...planEnv,
      NODE_EXTRA_CA_CERTS: this.opts.caBundle ?? process.env.NODE_EXTRA_CA_CERTS,
      CI: 'true',
      ...(user && this.opts.users?.env(user)),
    });
    addSupportFiles(req.plan, req.sourceDir);
    if (user) await handOver(req.sourceDir, cache, user);
    const limits = { ...this.opts.limits?.(req.app), ...(req.preview && { weight: PREVIEW_BUILD_WEIGHT }) };
    const group = this.opts.confine?.enforcesLimits ? this.opts.confine.create(`${req.app}.build.${randomUUID()}`, limits) : undefined;
    try {
      const install = (await this.reuse(req, env, user, group)) ? [] : req.plan.install;
      for (const command of [...install, ...req.plan.build]) await this.step(command, req, env, user, group, limits);
    } finally {
      if (group) {
        await killGroup(group);
        await group.remove().catch(() => { /* the next start sweeps it */ });
      }
    }
    const processes = hostProcesses(req.plan, req.sourceDir);
    return { kind: 'dir', dir: req.sourceDir, buildpack: req.plan.buildpack, processes, manifest };
  }

  /**
   * A code-only push: the previous build's dependencies copied (as the app's user, so it copies only what that
   * user may read) instead of installed again. False when the install must run, or the copy failed.
   */
  private async reuse(req: BuildRequest, env: Record<string, string>, user: AppUser | null, group: Group | undefined): Promise<boolean> {
    const why = reusable(req.plan, req.sourceDir, req.config, req.previous);
    if (!why || !req.previous || !req.plan.reuse) return false;
    const { dir } = req.plan.reuse;
    req.log(`-----> ${why}`);
    const code = await runStep('cp -a --reflink=auto -- "$MINICLOUD_FROM" "$MINICLOUD_TO"', {
      cwd: req.sourceDir, env: { ...env, MINICLOUD_FROM: join(req.previous.dir, dir), MINICLOUD_TO: join(req.sourceDir, dir) },
      timeoutMs: this.opts.stepTimeoutMs, ...(user && { user }), ...(group && { group }), onLine: (l) => req.log(`       ${l}`),
    });
    if (code === 0) return true;
    req.log(`-----> Copying ${dir} failed (exit code ${code}): installing instead`);
    rmSync(join(req.sourceDir, dir), { recursive: true, force: true });
    return false;
  }

  private async step(command: string, req: BuildRequest, env: Record<string, string>, user: AppUser | null, group: Group | undefined, limits: Limits): Promise<void> {
    req.log(`-----> Running ${command}`);
    const oomBefore = group?.oomKills() ?? 0;
    const code = await runStep(req.plan.run?.[command] ?? command, {
      cwd: req.sourceDir, env, timeoutMs: this.opts.stepTimeoutMs, ...(user && { user }), ...(group && { group }),
      onLine: (l) => req.log(`       ${l}`),
    });
    if (code === 0) return;
    if (group && group.oomKills() > oomBefore) {
      throw new UserError(`\`${command}\` ran out of memory (a build's cap is ${limits.memoryMb} MiB) and was killed`, 'raise it with MINICLOUD_BUILD_MEMORY on the server, or make the build use less');
    }
    throw new UserError(`\`${command}\` failed with exit code ${code}`, 'fix the error above, commit, and push again');
  }
}

/**
 * The tree and the cache become the app user's. The directory holding the app's releases stays root's, open
 * to the app's group: the app can work in its releases but not swap one for a link before minicloud writes there.
 */
async function handOver(src: string, cache: string, user: AppUser): Promise<void> {
  const releases = dirname(src);
  if (lstatSync(releases).uid === 0) {
    chownSync(releases, 0, user.gid);
    chmodSync(releases, 0o750);
  }
  const cacheOwner = lstatSync(cache).uid;
  ownedDir(cache, user, 0o700);
  if (cacheOwner !== user.uid) await ownTree(cache, user); // filled by builds before per-app users

  await ownTree(src, user);
}

/** The buildpack's support files in `<app>/.minicloud/`, where the Docker build finds them too, so steps name one path. */
function addSupportFiles(plan: BuildPlan, src: string): void {
  if (!plan.dockerfile) return; // a plan made by hand, with no buildpack behind it
  const files = Object.keys(supportFiles(plan));
  rmSync(join(src, '.minicloud'), { recursive: true, force: true }); // the buildpack's files win over the repository's
  if (!files.length) return;
  mkdirSync(join(src, '.minicloud'));
  for (const f of files) copyFileSync(join(dirname(plan.dockerfile), f), join(src, '.minicloud', f)); // with its mode
}

/**
 * The processes as the host runs them: the buildpack's host `web` command where the image's would not work
 * here (busybox httpd), and its tool directories (a virtualenv's bin) first on PATH when the build made them.
 */
function hostProcesses(plan: BuildPlan, src: string): Record<string, string> {
  const processes = { ...plan.processes, ...(plan.hostWeb && { web: plan.hostWeb }) };
  const path = (plan.hostPath ?? []).map((d) => join(src, d)).filter((d) => existsSync(d));
  if (!path.length) return processes;
  // The runtime runs `exec <command>` in a shell: `env` sets PATH and then execs the command itself.
  const prefix = `env PATH="${path.join(':')}:$PATH" `;
  return Object.fromEntries(Object.entries(processes).map(([t, c]) => [t, prefix + c]));
}
