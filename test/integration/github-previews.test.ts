// Previews from GitHub pull requests, signed like pushes, with git's own HTTP server standing in for github.com:
// opened makes <app>-pr-N from the pull request's head commit, synchronize updates it, closed destroys it; a fork's
// pull request and an unsigned delivery make nothing.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, git } from '../helpers/git.ts';
import { startGitHttp, type GitHttp } from '../helpers/git-http.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let github: GitHttp;
let work: string;
let origin: string;
let secret: string;
const TOKEN = `ghp_${randomUUID().replaceAll('-', '')}`;
const PREVIEW = 'prs-pr-7';
/** The stand-in for api.github.com: the commit statuses minicloud posts. */
let api: Server;
const statuses: { path: string; authorization: string | undefined; body: { state: string; target_url: string; description: string; context: string } }[] = [];

type Reply = { status: number; body: { message?: string; error?: string; deploys?: { app: string; deploy: string }[]; destroyed?: string[] } };

async function deliver(event: string, payload: unknown, sign: string | null = secret): Promise<Reply> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID() };
  if (sign !== null) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', sign).update(body).digest('hex')}`;
  const res = await fetch(`${mc.apiUrl}/webhooks/github`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

/** A `pull_request` event in the shape GitHub documents, trimmed to the fields a receiver reads. */
const pullRequest = (action: string, sha: string, headRepo = 'octo/hello') => ({
  action, number: 7,
  pull_request: {
    number: 7, title: 'Try the new page', user: { login: 'octocat' }, state: action === 'closed' ? 'closed' : 'open',
    head: { ref: 'feature/page', sha, repo: { full_name: headRepo } }, base: { ref: 'main', sha, repo: { full_name: 'octo/hello' } },
  },
  repository: { id: 1, name: 'hello', full_name: 'octo/hello', private: true },
  sender: { login: 'octocat', id: 1, type: 'User' },
});

const setVersion = (v: string) => {
  const file = join(work, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${v}'`));
};
const finished = (app: string, id: string | undefined) => until(`deploy ${id} of ${app} to finish`, async () => {
  const d = (await mc.api<Deploy[]>('GET', `/api/apps/${app}/deploys`)).body.find((x) => x.id === id);
  return d && (d.status === 'succeeded' || d.status === 'failed') ? d : undefined;
}, 120_000);
const version = async (app: string) => (JSON.parse((await get(mc.httpPort, `${app}.localhost`)).body) as { version: string }).version;

beforeAll(async () => {
  redis = await startRedis();
  const root = mkdtempSync(join(tmpdir(), 'mc-github-pr-'));
  github = await startGitHttp(root);
  github.requireToken(TOKEN); // a private repository: the preview fetches with its parent's token
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      statuses.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(body || '{}') });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}/`;
  mc = await startMinicloud(redis.url, { MINICLOUD_GITHUB_URL_BASE: github.base, MINICLOUD_GITHUB_API_URL: apiUrl });
  work = fixtureRepo('node-hello');
  origin = join(root, 'octo', 'hello.git');
  git(work, 'init', '-q', '--bare', origin);
  git(origin, 'config', 'uploadpack.allowReachableSHA1InWant', 'true'); // as GitHub allows
  git(work, 'push', '-q', origin, 'main');
  expect((await mc.api('POST', '/api/apps', { name: 'prs' })).status).toBe(201);
  const link = await mc.api<{ secret: string }>('POST', '/api/apps/prs/github', { repo: 'octo/hello', branch: 'main', token: TOKEN });
  expect(link.status).toBe(201);
  secret = link.body.secret;
  expect((await mc.cli('config:set', 'prs', 'GREETING=hi')).code).toBe(0);
  expect((await mc.cli('previews:enable', 'prs', '--branches', 'feature/*')).code).toBe(0);
  git(work, 'checkout', '-q', '-b', 'feature/page');
});

afterAll(async () => {
  await mc?.stop();
  await github?.close();
  api?.close();
  await redis?.stop();
});

it('makes <app>-pr-N from an opened pull request, and updates it on synchronize', async () => {
  setVersion('pr-1');
  const first = commitAll(work, 'the new page');
  git(work, 'push', '-q', origin, 'feature/page');
  const opened = await deliver('pull_request', pullRequest('opened', first));
  expect(opened.status, JSON.stringify(opened.body)).toBe(202);
  expect(opened.body.deploys).toMatchObject([{ app: PREVIEW }]);
  expect(await finished(PREVIEW, opened.body.deploys![0]!.deploy)).toMatchObject({ status: 'succeeded', commit: first, commitMessage: 'Try the new page' });
  expect(await version(PREVIEW)).toBe('pr-1');
  // The commit's status on GitHub: pending, then the preview's URL, with the link's token.
  const posted = await until('the success status of the pull request\'s commit', async () => {
    const mine = statuses.filter((st) => st.path === `/repos/octo/hello/statuses/${first}`);
    return mine.some((st) => st.body.state === 'success') ? mine : undefined;
  }, 60_000);
  expect(posted.map((st) => st.body.state)).toEqual(['pending', 'success']);
  expect(posted[1]).toMatchObject({ authorization: `Bearer ${TOKEN}`, body: { context: 'minicloud/preview', target_url: expect.stringContaining(`http://${PREVIEW}.localhost`) } });
  expect(posted[1]!.body.description).toContain('v1 is live at');
  expect((await mc.api<Record<string, string>>('GET', `/api/apps/${PREVIEW}/config`)).body).toEqual({ GREETING: 'hi', MINICLOUD_PREVIEW_OF: 'prs', MINICLOUD_PREVIEW_BRANCH: 'pr/7' });

  setVersion('pr-2');
  const second = commitAll(work, 'the new page, again');
  git(work, 'push', '-q', origin, 'feature/page');
  const sync = await deliver('pull_request', pullRequest('synchronize', second));
  expect(sync.status).toBe(202);
  expect((await finished(PREVIEW, sync.body.deploys![0]!.deploy)).status).toBe('succeeded');
  expect(await version(PREVIEW)).toBe('pr-2');
});

it("makes nothing of a fork's pull request, or of an unsigned one", async () => {
  const sha = git(work, 'rev-parse', 'HEAD');
  const fork = await deliver('pull_request', { ...pullRequest('opened', sha, 'mallory/hello'), number: 8 });
  expect(fork).toMatchObject({ status: 202, body: { message: expect.stringContaining('a pull request from a fork makes no preview') } });
  expect((await deliver('pull_request', { ...pullRequest('opened', sha), number: 9 }, null)).status).toBe(401);
  expect((await deliver('pull_request', { ...pullRequest('opened', sha), number: 9 }, 'not-the-secret')).status).toBe(401);
  const apps = (await mc.api<{ name: string }[]>('GET', '/api/apps')).body.map((a) => a.name).sort();
  expect(apps).toEqual(['prs', PREVIEW]);
});

it('destroys the preview when the pull request is closed', async () => {
  const closed = await deliver('pull_request', pullRequest('closed', git(work, 'rev-parse', 'HEAD')));
  expect(closed).toMatchObject({ status: 200, body: { destroyed: [PREVIEW] } });
  expect((await mc.api('GET', `/api/apps/${PREVIEW}`)).status).toBe(404);
  expect((await get(mc.httpPort, `${PREVIEW}.localhost`)).status).toBe(404);
  const again = await deliver('pull_request', pullRequest('closed', git(work, 'rev-parse', 'HEAD')));
  expect(again).toMatchObject({ status: 200, body: { message: 'no preview to destroy' } });
});

it('makes a preview of a pushed branch that matches, and destroys it when the push deletes the branch', async () => {
  git(work, 'checkout', '-q', '-b', 'feature/hook');
  setVersion('hook-1');
  const sha = commitAll(work, 'a branch pushed to GitHub');
  git(work, 'push', '-q', origin, 'feature/hook');
  const push = (after: string, deleted: boolean) => ({
    ref: 'refs/heads/feature/hook', before: '0'.repeat(40), after, deleted, created: !deleted,
    head_commit: deleted ? null : { id: after, message: 'a branch pushed to GitHub', author: { name: 'Octo Cat', email: 'octo@example.com' } },
    repository: { id: 1, name: 'hello', full_name: 'octo/hello', private: true },
  });
  const made = await deliver('push', push(sha, false));
  expect(made.status, JSON.stringify(made.body)).toBe(202);
  expect(made.body.deploys).toMatchObject([{ app: 'prs-feature-hook' }]);
  expect((await finished('prs-feature-hook', made.body.deploys![0]!.deploy)).status).toBe('succeeded');
  expect(await version('prs-feature-hook')).toBe('hook-1');
  expect((await mc.api<unknown[]>('GET', '/api/apps/prs/releases')).body).toEqual([]); // the app following main is not touched
  const gone = await deliver('push', push('0'.repeat(40), true));
  expect(gone).toMatchObject({ status: 200, body: { destroyed: ['prs-feature-hook'] } });
  expect((await mc.api('GET', '/api/apps/prs-feature-hook')).status).toBe(404);
});
