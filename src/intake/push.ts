// Turning a git push into a deploy: which refs deploy, where the pushed tree goes, and the queued job.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError, validateAppName, validateBranch, type Deploy } from '../core/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import { submitDeploy } from './submit.ts';
import type { GithubLink, Store } from '../store/index.ts';

export interface RefUpdate { oldrev: string; newrev: string; ref: string }
export interface PushPlan {
  messages: string[];
  /** `upload` names the pushed tree to the deploy request; `archive` is where the hook writes it (`git archive`). */
  deploy: { ref: string; oldrev: string; newrev: string; upload: string; archive: string } | null;
  /** Preview apps this push destroyed (their branch was deleted): the router must stop serving them. */
  destroyed?: string[];
}

export interface PushStart { ref: string; oldrev: string; newrev: string; upload: string; author?: string; message?: string }

/** What a push asks of previews (apps/previews.ts): intake knows the branch, previews know the rest. */
export interface PreviewHooks {
  /** A push of `branch` deploys to a preview of `app`, not to `app`. */
  wants(app: string, branch: string): boolean;
  /** Refuses a new preview beyond the cap, before anything is uploaded. */
  check(app: string, branch: string): void;
  /** The preview app of the branch, made now if there is none. */
  ensure(app: string, branch: string): Promise<string>;
  /** Destroys the branch's preview and what it made; its name, or null if it had none. */
  destroy(app: string, branch: string): Promise<string | null>;
  /** A GitHub-started preview deploy is queued: its commit's status follows it (the link's token permitting). */
  started?(deploy: Deploy, link: GithubLink): void;
}

const ZERO = /^0+$/;

/**
 * Like Heroku: an app that deploys `main` (the default) also deploys a push to `master`, what `git init` still
 * names the first branch on many systems. Any other deploy branch is taken literally.
 */
export function deploysFrom(deployBranch: string, branch: string | null): boolean {
  if (branch === null) return false;
  return branch === deployBranch || (deployBranch === 'main' && branch === 'master');
}

/** A push of a branch that does not deploy: refused (nothing stored), saying which branch deploys and how to change it. */
export function notDeployBranch(app: string, deployBranch: string, branch: string): UserError {
  const deploys = deployBranch === 'main' ? 'main (or master)' : deployBranch;
  return new UserError(`${app} deploys pushes of ${deploys}, not ${branch}: nothing was pushed`,
    `to deploy ${branch} this once, run \`git push minicloud ${branch}:${deployBranch}\`; to deploy ${branch} from now on, run \`minicloud apps:set ${app} branch=${branch}\``);
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class PushIntake {
  constructor(
    private readonly store: Store,
    private readonly queue: DeployQueue,
    private readonly dirs: { incoming: string; sources: string; sourceTar: (id: string) => string },
    private readonly previews?: PreviewHooks,
  ) {
    mkdirSync(dirs.incoming, { recursive: true });
  }

  async plan(appName: string, updates: RefUpdate[]): Promise<PushPlan> {
    const app = this.store.apps.require(validateAppName(appName));
    const messages: string[] = this.earlierPushes(app.name);
    let deploy: PushPlan['deploy'] = null;
    const destroyed: string[] = [];
    for (const u of updates) {
      if (!SHA.test(u.oldrev) || !SHA.test(u.newrev)) throw new UserError(`malformed ref update for ${u.ref}`);
      const branch = u.ref.startsWith('refs/heads/') ? validateBranch(u.ref.slice('refs/heads/'.length)) : null;
      const deletes = ZERO.test(u.newrev);
      if (deletes && branch === app.deployBranch) {
        throw new UserError(`deleting the deploy branch ${branch} is not allowed`, `to remove the app, run \`minicloud apps:destroy ${app.name}\``);
      }
      const preview = branch !== null && (this.previews?.wants(app.name, branch) ?? false);
      if (!deletes && !deploy && (deploysFrom(app.deployBranch, branch) || preview)) {
        if (preview) this.previews!.check(app.name, branch!);
        const upload = randomUUID();
        deploy = { ref: u.ref, oldrev: u.oldrev, newrev: u.newrev, upload, archive: this.archive(upload) };
      } else if (branch && deletes) {
        const gone = await this.previews?.destroy(app.name, branch);
        if (gone) destroyed.push(gone);
        messages.push(gone ? `-----> Branch ${branch} deleted, and its preview ${gone} with it (app, add-ons, volumes, routes, images)` : `-----> Branch ${branch} deleted`);
      } else if (branch && (deploysFrom(app.deployBranch, branch) || preview)) {
        // One push of two deploying branches (main and master, or a preview's): the first deploys.
        messages.push(`-----> Branch ${branch} stored, not deployed: this push deploys ${deploy?.ref.slice('refs/heads/'.length)}`);
      } else if (branch) {
        throw notDeployBranch(app.name, app.deployBranch, branch);
      } else {
        messages.push(`-----> ${u.ref} stored, not deployed`);
      }
    }
    return { messages, deploy, ...(destroyed.length && { destroyed }) };
  }

  /**
   * What became of earlier pushes whose pusher never saw the end (the connection to minicloud dropped, e.g. it was
   * killed): told once, to the next push. One still running is mentioned, since this push deploys after it.
   */
  private earlierPushes(app: string): string[] {
    const lines: string[] = [];
    for (const d of this.store.deployJobs.untold(app)) {
      const which = `push of ${d.commit?.slice(0, 7) ?? 'unknown'}`;
      if (d.status === 'succeeded') {
        lines.push(`-----> Your previous ${which} was deployed after its connection to minicloud dropped: v${d.release} went live`);
      } else if (d.status === 'failed') {
        lines.push(` !     Your previous ${which} failed after its connection to minicloud dropped: ${d.error ?? 'no reason recorded'}`,
          `       Its log: \`minicloud logs ${app} --source build\``);
      } else {
        lines.push(`-----> An earlier ${which} is still deploying; this push deploys after it`);
        continue;
      }
      this.store.deployJobs.markTold(d.id);
    }
    return lines;
  }

  /** Where the pushed tree of an upload id goes: only ids plan() makes name a file. */
  private archive(upload: string): string {
    return resolve(this.dirs.incoming, `${upload}.tar`);
  }

  /** Takes the archive the hook wrote for its upload id and queues its build. */
  async start(appName: string, p: PushStart): Promise<Deploy> {
    const pushed = this.store.apps.require(validateAppName(appName));
    const source = UPLOAD_ID.test(p.upload) ? this.archive(p.upload) : null;
    if (!source || !existsSync(source)) throw new UserError('the pushed source archive is missing', 'push again');
    if (!SHA.test(p.newrev)) throw new UserError(`malformed commit id ${p.newrev}`);
    const branch = p.ref.startsWith('refs/heads/') ? validateBranch(p.ref.slice('refs/heads/'.length)) : null;
    const preview = branch !== null && !deploysFrom(pushed.deployBranch, branch) && (this.previews?.wants(pushed.name, branch) ?? false);
    if (branch !== null && !preview && !deploysFrom(pushed.deployBranch, branch)) throw notDeployBranch(pushed.name, pushed.deployBranch, branch);
    const app = preview ? this.store.apps.require(await this.previews!.ensure(pushed.name, branch!)) : pushed;
    let moved: string | null = null;
    let deploy: Deploy;
    try {
      deploy = await submitDeploy(this.store, this.queue, {
        app: app.name, kind: 'build', ref: p.ref, commit: p.newrev,
        commitAuthor: p.author?.slice(0, 200) ?? null, commitMessage: p.message?.slice(0, 500) ?? null,
      }, {}, (d) => { moved = this.dirs.sourceTar(d.id); renameSync(source, moved); });
    } catch (e) {
      // A push refused here (the queue away: 503) leaves no archive behind.
      for (const f of [source, moved]) if (f) rmSync(f, { force: true });
      throw e;
    }
    // The hook tells the pusher how it ends and says so; if it cannot (minicloud died), the next push does.
    this.store.deployJobs.awaitPusher(deploy.id);
    return deploy;
  }
}
