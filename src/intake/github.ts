// GitHub push webhooks: verified with @octokit/webhooks, deduplicated by delivery id, turned into build jobs.
import { randomBytes } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import { UserError, validateAppName, validateBranch, type Deploy } from '../core/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import { checkCloneUrl } from './github-fetch.ts';
import type { GithubLink, Store } from '../store/index.ts';

export interface WebhookReply { status: number; body: Record<string, unknown> }

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

interface PushPayload {
  ref?: string;
  after?: string;
  deleted?: boolean;
  repository?: { full_name?: string; clone_url?: string };
  head_commit?: { id?: string; message?: string; author?: { name?: string; email?: string } } | null;
}

const header = (h: Record<string, string | string[] | undefined>, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class GithubIntake {
  constructor(private readonly store: Store, private readonly queue: DeployQueue, private readonly warn: (line: string) => void) {}

  connect(appName: string, body: { repo?: unknown; branch?: unknown; token?: unknown }): GithubLink {
    const app = this.store.requireApp(validateAppName(appName));
    if (typeof body.repo !== 'string' || !REPO.test(body.repo)) throw new UserError('the repository must be given as owner/repo', `e.g. \`minicloud apps:connect ${app.name} --github octocat/hello-world\``);
    const branch = validateBranch(typeof body.branch === 'string' && body.branch ? body.branch : 'main');
    if (body.token !== undefined && body.token !== null && (typeof body.token !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(body.token))) {
      throw new UserError('the token must be a GitHub token (printable characters, no spaces)');
    }
    const secret = randomBytes(32).toString('hex');
    return this.store.setGithubLink({ app: app.name, repo: body.repo, branch, secret, token: (body.token as string | undefined) ?? null });
  }

  /** Handles one delivery. Anything not signed by a connected app's secret is refused without a trace. */
  async handle(headers: Record<string, string | string[] | undefined>, raw: string): Promise<WebhookReply> {
    const signature = header(headers, 'x-hub-signature-256');
    const event = header(headers, 'x-github-event') ?? '';
    const delivery = header(headers, 'x-github-delivery');
    const refuse = (why: string): WebhookReply => {
      this.warn(`GitHub webhook refused (${why}), delivery ${delivery ?? 'unknown'}`);
      return { status: 401, body: { error: 'invalid signature' } };
    };
    if (!signature) return refuse('no X-Hub-Signature-256');
    let payload: PushPayload;
    try {
      payload = JSON.parse(raw) as PushPayload;
    } catch {
      return refuse('body is not JSON');
    }
    const links = this.store.githubLinksFor(payload.repository?.full_name ?? '');
    const verified: GithubLink[] = [];
    for (const link of links) if (await new Webhooks({ secret: link.secret }).verify(raw, signature).catch(() => false)) verified.push(link);
    if (verified.length === 0) return refuse(links.length ? 'signature does not match' : 'repository not connected');

    if (delivery && !this.store.recordDelivery(delivery)) return { status: 200, body: { message: 'delivery already processed' } };
    if (event === 'ping') return { status: 200, body: { message: 'pong' } };
    if (event !== 'push') return { status: 202, body: { message: `ignored: ${event} events do not deploy` } };
    if (!payload.ref?.startsWith('refs/heads/')) return { status: 202, body: { message: `ignored: ${payload.ref ?? 'no ref'} is not a branch` } };
    if (payload.deleted || !payload.after || /^0+$/.test(payload.after)) return { status: 202, body: { message: 'ignored: branch deleted' } };
    if (!/^[0-9a-f]{40}$/.test(payload.after)) return { status: 400, body: { error: 'malformed "after" commit id' } };
    const branch = payload.ref.slice('refs/heads/'.length);
    const followers = verified.filter((l) => l.branch === branch);
    if (followers.length === 0) return { status: 202, body: { message: `ignored: no app follows ${branch}` } };
    const deploys = [];
    for (const link of followers) {
      const d = await this.start(link, payload, payload.after);
      deploys.push({ app: link.app, deploy: d.id });
    }
    return { status: 202, body: { message: 'building', deploys } };
  }

  private async start(link: GithubLink, p: PushPayload, sha: string): Promise<Deploy> {
    const url = p.repository?.clone_url ?? `https://github.com/${link.repo}.git`;
    checkCloneUrl(url);
    const author = p.head_commit?.author;
    const deploy = this.store.createDeploy({
      app: link.app, kind: 'build', ref: p.ref, commit: sha,
      commitAuthor: author?.name ? `${author.name}${author.email ? ` <${author.email}>` : ''}`.slice(0, 200) : null,
      commitMessage: p.head_commit?.message?.split('\n')[0]?.slice(0, 500) ?? null,
    });
    await this.queue.enqueue(link.app, { deployId: deploy.id, fetchFrom: url });
    return deploy;
  }
}
