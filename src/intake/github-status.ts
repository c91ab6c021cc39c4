// A preview's commit status on GitHub (when the link has a token): pending while it builds, then success with the
// preview's URL, or failure with the deploy's error. Best effort: GitHub away or refusing never fails a deploy.
import type { Deploy } from '../core/index.ts';
import type { GithubLink } from '../store/index.ts';

export interface CommitStatus {
  state: 'pending' | 'success' | 'failure';
  /** The preview's URL (GitHub shows it as the status's Details link). */
  targetUrl: string;
  description: string;
}

/** POST /repos/<owner>/<repo>/statuses/<sha> on GitHub's REST API (`apiBase`, MINICLOUD_GITHUB_API_URL). */
export async function postStatus(apiBase: string, link: GithubLink, sha: string, s: CommitStatus): Promise<void> {
  if (!link.token) return;
  const url = new URL(`repos/${link.repo}/statuses/${sha}`, apiBase.endsWith('/') ? apiBase : `${apiBase}/`);
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${link.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json', 'user-agent': 'minicloud' },
    body: JSON.stringify({ state: s.state, target_url: s.targetUrl, description: s.description.slice(0, 140), context: 'minicloud/preview' }),
    signal: AbortSignal.timeout(10_000),
    redirect: 'error',
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`GitHub answered ${res.status} to the commit status`);
}

/** What a finished preview deploy says on its commit. */
export function finalStatus(deploy: Pick<Deploy, 'status' | 'release' | 'error'>, url: string): CommitStatus {
  return deploy.status === 'succeeded'
    ? { state: 'success', targetUrl: url, description: `v${deploy.release} is live at ${url}` }
    : { state: 'failure', targetUrl: url, description: `the preview's deploy failed: ${deploy.error ?? 'see its log'}` };
}
