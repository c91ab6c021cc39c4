// Turning a git push into a deploy: which refs deploy, where the pushed tree goes, and the queued job.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError, validateAppName, validateBranch, type Deploy } from '../core/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import { submitDeploy } from './submit.ts';
import type { Store } from '../store/index.ts';

export interface RefUpdate { oldrev: string; newrev: string; ref: string }
export interface PushPlan {
  messages: string[];
  /** `upload` names the pushed tree to the deploy request; `archive` is where the hook writes it (`git archive`). */
  deploy: { ref: string; oldrev: string; newrev: string; upload: string; archive: string } | null;
}

export interface PushStart { ref: string; oldrev: string; newrev: string; upload: string; author?: string; message?: string }

const ZERO = /^0+$/;

/**
 * Like Heroku: an app that deploys `main` (the default) also deploys a push to `master`, what `git init` still
 * names the first branch on many systems. Any other deploy branch is taken literally.
 */
export function deploysFrom(deployBranch: string, branch: string | null): boolean {
  if (branch === null) return false;
  return branch === deployBranch || (deployBranch === 'main' && branch === 'master');
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class PushIntake {
  constructor(
    private readonly store: Store,
    private readonly queue: DeployQueue,
    private readonly dirs: { incoming: string; sources: string; sourceTar: (id: string) => string },
  ) {
    mkdirSync(dirs.incoming, { recursive: true });
  }

  plan(appName: string, updates: RefUpdate[]): PushPlan {
    const app = this.store.apps.require(validateAppName(appName));
    const messages: string[] = this.earlierPushes(app.name);
    let deploy: PushPlan['deploy'] = null;
    for (const u of updates) {
      if (!SHA.test(u.oldrev) || !SHA.test(u.newrev)) throw new UserError(`malformed ref update for ${u.ref}`);
      const branch = u.ref.startsWith('refs/heads/') ? validateBranch(u.ref.slice('refs/heads/'.length)) : null;
      const deletes = ZERO.test(u.newrev);
      if (deletes && branch === app.deployBranch) {
        throw new UserError(`deleting the deploy branch ${branch} is not allowed`, `to remove the app, run \`minicloud apps:destroy ${app.name}\``);
      }
      // One push updating both main and master deploys the first; the other is stored.
      if (!deletes && !deploy && deploysFrom(app.deployBranch, branch)) {
        const upload = randomUUID();
        deploy = { ref: u.ref, oldrev: u.oldrev, newrev: u.newrev, upload, archive: this.archive(upload) };
      } else if (branch && deletes) {
        messages.push(`-----> Branch ${branch} deleted`);
      } else if (branch) {
        messages.push(`-----> Branch ${branch} stored, not deployed: ${app.name} deploys ${app.deployBranch}`);
        messages.push(`       To deploy it, run \`git push minicloud ${branch}:${app.deployBranch}\``);
      } else {
        messages.push(`-----> ${u.ref} stored, not deployed`);
      }
    }
    return { messages, deploy };
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
    const app = this.store.apps.require(validateAppName(appName));
    const source = UPLOAD_ID.test(p.upload) ? this.archive(p.upload) : null;
    if (!source || !existsSync(source)) throw new UserError('the pushed source archive is missing', 'push again');
    if (!SHA.test(p.newrev)) throw new UserError(`malformed commit id ${p.newrev}`);
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
