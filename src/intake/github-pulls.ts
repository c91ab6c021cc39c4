// GitHub deliveries that make previews (already verified by their signature): a preview app per pull request of an
// app that has previews on, made or updated when it is opened or gets commits, destroyed when it is closed or merged;
// and per pushed branch that matches, destroyed when the branch is deleted.
import { isUserError, type Deploy } from '../core/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import type { GithubLink, Store } from '../store/index.ts';
import type { PreviewHooks } from './push.ts';
import { submitDeploy } from './submit.ts';

/** GitHub's answer to a delivery: what happened, and the deploys it started (the audit log records them). */
export interface WebhookReply {
  status: number;
  body: {
    error?: string; message?: string; deploys?: { app: string; deploy: string }[]; deployed?: { app: string; release: number }[];
    /** Preview apps a closed pull request took away: the router must stop serving them. */
    destroyed?: string[];
  };
}

export interface PullRequestPayload {
  action?: string;
  number?: number;
  repository?: { full_name?: string };
  pull_request?: {
    title?: string;
    user?: { login?: string };
    head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
    base?: { ref?: string };
  };
}

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.split('\n')[0]!.slice(0, max) : null);

/** The preview's key among the app's previews (beside branch names): `pr/<number>`, so its app is `<app>-pr-<number>`. */
export const pullKey = (n: number) => `pr/${n}`;

export async function pullRequest(store: Store, queue: DeployQueue, previews: PreviewHooks | undefined, verified: GithubLink[], p: PullRequestPayload): Promise<WebhookReply> {
  const pr = p.pull_request;
  const n = p.number;
  if (!pr || typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1e9) return { status: 400, body: { error: 'malformed pull_request payload' } };
  const head = typeof pr.head?.ref === 'string' ? pr.head.ref : '';
  const base = typeof pr.base?.ref === 'string' ? pr.base.ref : '';
  const apps = previews ? verified.filter((l) => l.branch === base && previews.wants(l.app, head)) : [];
  if (apps.length === 0) return { status: 202, body: { message: `ignored: no app with previews of ${head.slice(0, 200)} follows ${base.slice(0, 200)}` } };
  if (p.action === 'closed') {
    const destroyed: string[] = [];
    for (const l of apps) {
      const gone = await previews!.destroy(l.app, pullKey(n));
      if (gone) destroyed.push(gone);
    }
    return { status: 200, body: { message: destroyed.length ? `destroyed ${destroyed.join(', ')}` : 'no preview to destroy', destroyed } };
  }
  if (p.action !== 'opened' && p.action !== 'reopened' && p.action !== 'synchronize') return { status: 202, body: { message: `ignored: pull request ${String(p.action).slice(0, 40)}` } };
  // A fork's code would run with the app's config (its secrets): as on Heroku, a fork's pull request makes no preview.
  if (String(pr.head?.repo?.full_name ?? '').toLowerCase() !== String(p.repository?.full_name ?? '').toLowerCase()) {
    return { status: 202, body: { message: "ignored: a pull request from a fork makes no preview (its code would get the app's config)" } };
  }
  const sha = pr.head?.sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) return { status: 400, body: { error: 'malformed head commit id' } };
  const deploys: { app: string; deploy: string }[] = [];
  for (const l of apps) {
    try {
      const d = await start(store, queue, await previews!.ensure(l.app, pullKey(n)), l, n, sha, pr);
      previews!.started?.(d, l);
      deploys.push({ app: d.app, deploy: d.id });
    } catch (e) {
      if (!isUserError(e)) throw e;
      return { status: e.status ?? 422, body: { error: e.message, ...(deploys.length && { deploys }) } };
    }
  }
  return { status: 202, body: { message: 'building', deploys } };
}

function start(store: Store, queue: DeployQueue, app: string, link: GithubLink, n: number, sha: string, pr: NonNullable<PullRequestPayload['pull_request']>): Promise<Deploy> {
  // The repository the parent follows, as linked: GitHub serves a pull request's commits from it.
  return submitDeploy(store, queue, {
    app, kind: 'build', ref: `refs/pull/${n}/head`, commit: sha, commitAuthor: text(pr.user?.login, 200), commitMessage: text(pr.title, 500),
  }, { fetchFrom: link.repo });
}

/** The fields of a `push` delivery a branch's preview reads. */
export interface BranchPushPayload {
  ref?: string;
  after?: string;
  deleted?: boolean;
  head_commit?: { message?: string; author?: { name?: string } } | null;
}

/** A push of a branch the apps preview (not the one they follow): its preview made or updated, or destroyed with the branch. */
export async function branchPreview(store: Store, queue: DeployQueue, previews: PreviewHooks, apps: GithubLink[], p: BranchPushPayload): Promise<WebhookReply> {
  const branch = String(p.ref).slice('refs/heads/'.length);
  if (p.deleted || !p.after || /^0+$/.test(p.after)) {
    const destroyed: string[] = [];
    for (const l of apps) {
      const gone = await previews.destroy(l.app, branch);
      if (gone) destroyed.push(gone);
    }
    return { status: 200, body: { message: destroyed.length ? `branch deleted: destroyed ${destroyed.join(', ')}` : 'ignored: branch deleted', destroyed } };
  }
  if (!/^[0-9a-f]{40}$/.test(p.after)) return { status: 400, body: { error: 'malformed "after" commit id' } };
  const deploys: { app: string; deploy: string }[] = [];
  for (const l of apps) {
    try {
      const app = await previews.ensure(l.app, branch);
      const d = await submitDeploy(store, queue, {
        app, kind: 'build', ref: p.ref, commit: p.after, commitAuthor: text(p.head_commit?.author?.name, 200), commitMessage: text(p.head_commit?.message, 500),
      }, { fetchFrom: l.repo });
      previews.started?.(d, l);
      deploys.push({ app, deploy: d.id });
    } catch (e) {
      if (!isUserError(e)) throw e;
      return { status: e.status ?? 422, body: { error: e.message, ...(deploys.length && { deploys }) } };
    }
  }
  return { status: 202, body: { message: 'building', deploys } };
}
