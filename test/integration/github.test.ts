// GitHub push webhooks, with a local bare repository standing in for GitHub's clone URL.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { fixtureRepo, git } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let origin: string; // the stand-in for https://github.com/octo/hello.git
let work: string;
let secret: string;

/** A `push` event in the shape GitHub documents, trimmed to the fields a receiver reads. */
function pushEvent(ref: string, after: string, over: Record<string, unknown> = {}) {
  const message = git(work, 'log', '-1', '--format=%s', after === '0'.repeat(40) ? 'HEAD' : after);
  return {
    ref, before: '0'.repeat(40), after, created: false, deleted: false, forced: false, base_ref: null,
    compare: `https://github.com/octo/hello/compare/${after}`,
    commits: [{ id: after, message, timestamp: new Date().toISOString(), author: { name: 'Octo Cat', email: 'octo@example.com', username: 'octocat' } }],
    head_commit: { id: after, tree_id: after, message, author: { name: 'Octo Cat', email: 'octo@example.com', username: 'octocat' } },
    repository: { id: 1, name: 'hello', full_name: 'octo/hello', private: false, clone_url: origin, default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octo@example.com' },
    sender: { login: 'octocat', id: 1, type: 'User' },
    ...over,
  };
}

async function deliver(event: string, payload: unknown, opts: { delivery?: string; sign?: string | null } = {}) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': opts.delivery ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  const key = opts.sign === undefined ? secret : opts.sign;
  if (key !== null) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  const res = await fetch(`${mc.apiUrl}/webhooks/github`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { message?: string; error?: string; deploys?: { app: string; deploy: string }[] } };
}

const deploys = async () => (await mc.api<Deploy[]>('GET', '/api/apps/hooked/deploys')).body;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  work = fixtureRepo('node-hello');
  origin = join(mkdtempSync(join(tmpdir(), 'mc-github-')), 'hello.git');
  git(work, 'init', '-q', '--bare', origin);
  git(origin, 'config', 'uploadpack.allowReachableSHA1InWant', 'true'); // as GitHub allows
  git(work, 'push', '-q', origin, 'main');
  expect((await mc.api('POST', '/api/apps', { name: 'hooked' })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('GitHub webhooks', () => {
  it('connects an app to a repository and shows the payload URL and secret', async () => {
    const res = await mc.api<{ secret: string; payloadUrl: string; repo: string; branch: string }>('POST', '/api/apps/hooked/github', { repo: 'octo/hello', branch: 'main' });
    expect(res.status).toBe(201);
    expect(res.body.payloadUrl).toBe(`http://127.0.0.1:${mc.apiPort}/webhooks/github`);
    expect(res.body.secret).toMatch(/^[0-9a-f]{64}$/);
    secret = res.body.secret;
    expect((await deliver('ping', { zen: 'Keep it simple.', hook_id: 1, repository: { full_name: 'octo/hello' } })).status).toBe(200);
  });

  it('builds exactly the pushed commit and serves it; the same delivery again builds nothing', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    const delivery = randomUUID();
    const res = await deliver('push', pushEvent('refs/heads/main', sha), { delivery });
    expect(res.status).toBe(202);
    const id = res.body.deploys?.[0]?.deploy;
    const done = await until('the webhook deploy to finish', async () => {
      const d = (await deploys()).find((x) => x.id === id);
      return d && (d.status === 'succeeded' || d.status === 'failed') ? d : undefined;
    }, 60_000);
    expect(done.status).toBe('succeeded');
    expect(JSON.parse((await get(mc.httpPort, 'hooked.localhost')).body)).toMatchObject({ version: 'v1' });
    const releases = (await mc.api<{ commit: string; commitAuthor: string; commitMessage: string }[]>('GET', '/api/apps/hooked/releases')).body;
    expect(releases[0]).toMatchObject({ commit: sha, commitAuthor: 'Octo Cat <octo@example.com>', commitMessage: 'first' });
    const log = await mc.cli('logs', 'hooked', '--build');
    expect(log.stdout).toContain(`Fetching ${sha.slice(0, 7)} from ${origin}`);

    const again = await deliver('push', pushEvent('refs/heads/main', sha), { delivery });
    expect(again).toMatchObject({ status: 200, body: { message: 'delivery already processed' } });
    expect((await deploys()).length).toBe(1);
  });

  it('refuses a missing or wrong signature with 401 and queues nothing', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    expect((await deliver('push', pushEvent('refs/heads/main', sha), { sign: 'not-the-secret' })).status).toBe(401);
    expect((await deliver('push', pushEvent('refs/heads/main', sha), { sign: null })).status).toBe(401);
    expect((await deploys()).length).toBe(1);
    expect(mc.output()).toContain('GitHub webhook refused (signature does not match)');
  });

  it('acknowledges and ignores other branches, tags and deletions', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    for (const [ref, over] of [['refs/heads/feature', {}], ['refs/tags/v1.0', {}], ['refs/heads/main', { deleted: true, after: '0'.repeat(40) }]] as const) {
      const res = await deliver('push', pushEvent(ref, sha, over));
      expect(res.status, `${ref} ${JSON.stringify(over)}`).toBe(202);
      expect(res.body.message).toMatch(/^ignored/);
    }
    expect((await deploys()).length).toBe(1);
  });

  it('answers 413 to a payload over the size limit', async () => {
    const res = await deliver('push', pushEvent('refs/heads/main', git(work, 'rev-parse', 'HEAD'), { padding: 'x'.repeat(6 * 1024 * 1024) }));
    expect(res.status).toBe(413);
  });
});

describe('the CLI', () => {
  it('apps:connect prints the payload URL and the secret to paste into GitHub', async () => {
    const r = await mc.cli('apps:connect', 'hooked', '--github', 'octo/hello', '--branch', 'main');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Payload URL:   http://127.0.0.1:${mc.apiPort}/webhooks/github`);
    expect(r.stdout).toMatch(/Secret: +[0-9a-f]{64}/);
    const bad = await mc.cli('apps:connect', 'hooked', '--github', 'not a repo');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not owner/repo');
  });

  it('releases shows the commit, its author and message', async () => {
    const r = await mc.cli('releases', 'hooked');
    expect(r.stdout).toMatch(/v1 \(current\)\s+succeeded\s+Deploy [0-9a-f]{7}\s+[0-9a-f]{7}\s+Octo Cat\s+first/);
  });
});
