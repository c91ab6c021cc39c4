// GitHub push webhooks: the raw body verified against each connected app's secret, then parsed and turned into build jobs.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BoundedLog, isBranch, validateAppName, type Deploy, type GithubConnectRequest } from '../core/index.ts';
import type { DeployQueue } from '../queue/index.ts';
import { isDeployedAlready } from './github-fetch.ts';
import { deploysFrom, type PreviewHooks } from './push.ts';
import { branchPreview, pullRequest, type PullRequestPayload, type WebhookReply } from './github-pulls.ts';
import { submitDeploy } from './submit.ts';
import type { GithubLink, Store } from '../store/index.ts';

export type { WebhookReply } from './github-pulls.ts';

/** GitHub's X-Hub-Signature-256: `sha256=` and the hex HMAC of the exact bytes sent. */
function signedBy(secret: string, raw: Buffer, signature: string): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

interface PushPayload {
  ref?: string;
  after?: string;
  deleted?: boolean;
  repository?: { full_name?: string; clone_url?: string };
  head_commit?: { id?: string; message?: string; author?: { name?: string; email?: string } } | null;
}

/** The connected apps that preview `branch` (not the branch they follow; a name git would refuse previews nothing). */
function previewsOf(previews: GithubOptions['previews'], links: GithubLink[], branch: string): GithubLink[] {
  if (!previews || !isBranch(branch)) return [];
  return links.filter((l) => !deploysFrom(l.branch, branch) && previews.wants(l.app, branch));
}

const header = (h: Record<string, string | string[] | undefined>, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export interface GithubOptions {
  /** The apps' fetch caches (what `isDeployedAlready` reads). */
  cacheDir: string;
  /** Refusals, at a bounded rate. */
  warn: (line: string) => void;
  /** Pull requests make previews (apps/previews.ts), when the app has them on. */
  previews?: PreviewHooks;
}

export class GithubIntake {
  private readonly refusals: BoundedLog;

  constructor(private readonly store: Store, private readonly queue: DeployQueue, private readonly o: GithubOptions) {
    this.refusals = new BoundedLog((line) => o.warn(line));
  }

  /** Makes the app follow a repository's branch (the input checked at the route: api/inputs.ts parseGithubConnect), with a new webhook secret. */
  connect(appName: string, input: GithubConnectRequest): GithubLink {
    const app = this.store.apps.require(validateAppName(appName));
    const secret = randomBytes(32).toString('hex');
    return this.store.githubLinks.set({ app: app.name, repo: input.repo, branch: input.branch, secret, token: input.token });
  }

  /**
   * Handles one delivery. The raw bytes are checked against every connected app's secret before anything
   * reads them; what no secret signed is refused without a trace.
   */
  async handle(headers: Record<string, string | string[] | undefined>, raw: Buffer): Promise<WebhookReply> {
    const signature = header(headers, 'x-hub-signature-256');
    const event = header(headers, 'x-github-event') ?? '';
    const delivery = header(headers, 'x-github-delivery');
    const refuse = (why: string): WebhookReply => {
      this.refusals.line(`GitHub webhook refused (${why}), delivery ${JSON.stringify((delivery ?? 'unknown').slice(0, 80))}`);
      return { status: 401, body: { error: 'invalid signature' } };
    };
    if (!signature) return refuse('no X-Hub-Signature-256');
    if (!/^sha256=[0-9a-f]{64}$/.test(signature)) return refuse('X-Hub-Signature-256 is not sha256=<hex>'); // before any HMAC is computed
    const signers = this.store.githubLinks.all().filter((l) => signedBy(l.secret, raw, signature));
    if (signers.length === 0) return refuse('signature does not match');
    let payload: PushPayload;
    try {
      payload = JSON.parse(raw.toString('utf8')) as PushPayload;
    } catch {
      return { status: 400, body: { error: 'the body is not JSON' } };
    }
    // The secret is the app's; the repository must be the one the app follows, whatever else the payload says.
    const named = typeof payload.repository?.full_name === 'string' ? payload.repository.full_name.toLowerCase() : '';
    const verified = signers.filter((l) => l.repo.toLowerCase() === named);
    if (verified.length === 0) return refuse(`signed for ${signers.map((l) => l.app).join(', ')}, but not about ${signers.map((l) => l.repo).join(', ')}`);

    if (delivery && !this.store.githubLinks.recordDelivery(delivery)) return { status: 200, body: { message: 'delivery already processed' } };
    if (event === 'ping') return { status: 200, body: { message: 'pong' } };
    if (event === 'pull_request') return pullRequest(this.store, this.queue, this.o.previews, verified, payload as PullRequestPayload);
    if (event !== 'push') return { status: 202, body: { message: `ignored: ${event} events do not deploy` } };
    if (typeof payload.ref !== 'string' || !payload.ref.startsWith('refs/heads/')) return { status: 202, body: { message: `ignored: ${String(payload.ref ?? 'no ref').slice(0, 200)} is not a branch` } };
    const previewing = previewsOf(this.o.previews, verified, payload.ref.slice('refs/heads/'.length));
    if (previewing.length) return branchPreview(this.store, this.queue, this.o.previews!, previewing, payload);
    if (payload.deleted || !payload.after || /^0+$/.test(payload.after)) return { status: 202, body: { message: 'ignored: branch deleted' } };
    if (typeof payload.after !== 'string' || !/^[0-9a-f]{40}$/.test(payload.after)) return { status: 400, body: { error: 'malformed "after" commit id' } };
    const branch = payload.ref.slice('refs/heads/'.length);
    const followers = verified.filter((l) => deploysFrom(l.branch, branch));
    if (followers.length === 0) return { status: 202, body: { message: `ignored: no app follows ${branch}` } };
    const deploys = [];
    const deployed = [];
    for (const link of followers) {
      const current = this.store.releases.current(link.app);
      if (await isDeployedAlready(this.o.cacheDir, link.app, payload.after, current?.commit ?? null)) {
        deployed.push({ app: link.app, release: current!.version });
        continue;
      }
      const d = await this.start(link, payload, payload.after);
      deploys.push({ app: link.app, deploy: d.id });
    }
    if (deploys.length === 0) {
      return { status: 200, body: { message: `already deployed: ${payload.after.slice(0, 7)} is the current release's commit or an ancestor of it; nothing to do`, deployed } };
    }
    return { status: 202, body: { message: 'building', deploys, ...(deployed.length && { deployed }) } };
  }

  private async start(link: GithubLink, p: PushPayload, sha: string): Promise<Deploy> {
    const author = p.head_commit?.author;
    const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : null);
    // The repository the app follows, as linked: never the payload's clone_url.
    return submitDeploy(this.store, this.queue, {
      app: link.app, kind: 'build', ref: p.ref, commit: sha,
      commitAuthor: text(author?.name, 200) ? `${author!.name}${text(author?.email, 200) ? ` <${author!.email}>` : ''}`.slice(0, 200) : null,
      commitMessage: text(p.head_commit?.message, 5000)?.split('\n')[0]?.slice(0, 500) ?? null,
    }, { fetchFrom: link.repo });
  }
}
