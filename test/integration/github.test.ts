// GitHub push webhooks, with git's own HTTP server standing in for github.com (MINICLOUD_GITHUB_URL_BASE).
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, git, push } from '../helpers/git.ts';
import { startGitHttp, type GitHttp } from '../helpers/git-http.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let github: GitHttp; // the stand-in for https://github.com/, serving octo/hello.git
let elsewhere: GitHttp; // another host, serving a repository an attacker would rather deploy
let origin: string;
let work: string;
let secret: string;
const TOKEN = `ghp_${randomUUID().replaceAll('-', '')}`;

/** A `push` event in the shape GitHub documents, trimmed to the fields a receiver reads. */
function pushEvent(ref: string, after: string, over: Record<string, unknown> = {}) {
  const known = git(work, 'rev-list', '--all').split('\n').includes(after);
  const message = known || after === '0'.repeat(40) ? git(work, 'log', '-1', '--format=%s', known ? after : 'HEAD') : 'not in this repository';
  return {
    ref, before: '0'.repeat(40), after, created: false, deleted: false, forced: false, base_ref: null,
    compare: `https://github.com/octo/hello/compare/${after}`,
    commits: [{ id: after, message, timestamp: new Date().toISOString(), author: { name: 'Octo Cat', email: 'octo@example.com', username: 'octocat' } }],
    head_commit: { id: after, tree_id: after, message, author: { name: 'Octo Cat', email: 'octo@example.com', username: 'octocat' } },
    repository: { id: 1, name: 'hello', full_name: 'octo/hello', private: true, clone_url: 'https://github.com/octo/hello.git', default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octo@example.com' },
    sender: { login: 'octocat', id: 1, type: 'User' },
    ...over,
  };
}

type Reply = { status: number; body: { message?: string; error?: string; deploys?: { app: string; deploy: string }[] } };

async function deliver(event: string, payload: unknown, opts: { delivery?: string; sign?: string | null; raw?: string } = {}): Promise<Reply> {
  const body = opts.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': opts.delivery ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  const key = opts.sign === undefined ? secret : opts.sign;
  if (key !== null) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  const res = await fetch(`${mc.apiUrl}/webhooks/github`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

const deploys = async () => (await mc.api<Deploy[]>('GET', '/api/apps/hooked/deploys')).body;
const finished = (id: string | undefined) => until(`deploy ${id} to finish`, async () => {
  const d = (await deploys()).find((x) => x.id === id);
  return d && (d.status === 'succeeded' || d.status === 'failed') ? d : undefined;
}, 60_000);

/** Every process's command line on this machine, as `ps` shows them. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try { lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')); } catch { /* ended meanwhile */ }
  }
  return lines;
}

beforeAll(async () => {
  redis = await startRedis();
  const root = mkdtempSync(join(tmpdir(), 'mc-github-'));
  github = await startGitHttp(root);
  github.requireToken(TOKEN); // a private repository
  elsewhere = await startGitHttp(mkdtempSync(join(tmpdir(), 'mc-elsewhere-')));
  mc = await startMinicloud(redis.url, { MINICLOUD_GITHUB_URL_BASE: github.base });
  work = fixtureRepo('node-hello');
  origin = join(root, 'octo', 'hello.git');
  git(work, 'init', '-q', '--bare', origin);
  git(origin, 'config', 'uploadpack.allowReachableSHA1InWant', 'true'); // as GitHub allows
  git(origin, 'config', 'http.receivepack', 'false');
  git(work, 'push', '-q', origin, 'main');
  expect((await mc.api('POST', '/api/apps', { name: 'hooked' })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await github?.close();
  await elsewhere?.close();
  await redis?.stop();
});

describe('GitHub webhooks', () => {
  it('connects an app to a repository and shows the payload URL and secret', async () => {
    const res = await mc.api<{ secret: string; payloadUrl: string; repo: string; branch: string }>('POST', '/api/apps/hooked/github', { repo: 'octo/hello', branch: 'main', token: TOKEN });
    expect(res.status).toBe(201);
    expect(res.body.payloadUrl).toBe(`http://127.0.0.1:${mc.apiPort}/webhooks/github`);
    expect(res.body.secret).toMatch(/^[0-9a-f]{64}$/);
    secret = res.body.secret;
    expect((await deliver('ping', { zen: 'Keep it simple.', hook_id: 1, repository: { full_name: 'octo/hello' } })).status).toBe(200);
  });

  it('builds exactly the pushed commit from github.com/<linked repo>.git, the token in no process argv', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    const delivery = randomUUID();
    const release = github.hold(30_000);
    const arrived = github.nextRequest();
    const res = await deliver('push', pushEvent('refs/heads/main', sha), { delivery });
    expect(res.status).toBe(202);
    await arrived;
    // The fetch is running now (its first request is held): look at every process's argv.
    const cmdlines = allCommandLines();
    release();
    expect(cmdlines.some((c) => c.includes('fetch') && c.includes(`${github.base}octo/hello.git`)), 'a git fetch was running').toBe(true);
    expect(cmdlines.filter((c) => c.includes(TOKEN) || c.includes(Buffer.from(`x-access-token:${TOKEN}`).toString('base64')))).toEqual([]);
    const done = await finished(res.body.deploys?.[0]?.deploy);
    expect(done.status).toBe('succeeded');
    expect(github.requests.every((r) => r.path.startsWith('/octo/hello.git/'))).toBe(true);
    expect(github.requests.some((r) => r.authorization === `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`)).toBe(true);
    expect(JSON.parse((await get(mc.httpPort, 'hooked.localhost')).body)).toMatchObject({ version: 'v1' });
    const releases = (await mc.api<{ commit: string; commitAuthor: string; commitMessage: string }[]>('GET', '/api/apps/hooked/releases')).body;
    expect(releases[0]).toMatchObject({ commit: sha, commitAuthor: 'Octo Cat <octo@example.com>', commitMessage: 'first' });
    const log = await mc.cli('logs', 'hooked', '--build');
    expect(log.stdout).toContain(`Fetching ${sha.slice(0, 7)} from ${github.base}octo/hello.git`);
    expect(mc.output() + log.stdout).not.toContain(TOKEN);
    const audit = (await mc.api<{ actor: string; action: string; app: string }[]>('GET', '/api/audit?app=hooked')).body;
    expect(audit.at(-1)).toMatchObject({ actor: 'GitHub (signed webhook)', action: 'deploy:github', app: 'hooked' });

    const again = await deliver('push', pushEvent('refs/heads/main', sha), { delivery });
    expect(again).toMatchObject({ status: 200, body: { message: 'delivery already processed' } });
    expect((await deploys()).length).toBe(1);
  });

  it('does not redeploy a replayed commit: the current one, or an ancestor of it, under a fresh delivery id', async () => {
    const first = git(work, 'rev-parse', 'HEAD');
    writeFileSync(join(work, 'NOTES.md'), 'second\n');
    const second = commitAll(work, 'second');
    git(work, 'push', '-q', origin, 'main');
    const res = await deliver('push', pushEvent('refs/heads/main', second));
    expect(res.status).toBe(202);
    expect((await finished(res.body.deploys?.[0]?.deploy)).status).toBe('succeeded');
    for (const sha of [second, first]) {
      const replay = await deliver('push', pushEvent('refs/heads/main', sha));
      expect(replay.status, sha).toBe(200);
      expect(replay.body.message).toMatch(/^already deployed/);
    }
    expect((await deploys()).length).toBe(2);
    expect((await mc.api<{ commit: string }[]>('GET', '/api/apps/hooked/releases')).body[0]!.commit).toBe(second);
  });

  it('refuses a missing or wrong signature with 401 and queues nothing, before reading the body', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    expect((await deliver('push', pushEvent('refs/heads/main', sha), { sign: 'not-the-secret' })).status).toBe(401);
    expect((await deliver('push', pushEvent('refs/heads/main', sha), { sign: null })).status).toBe(401);
    expect((await deliver('push', null, { sign: 'not-the-secret', raw: '{"repository": {"full_name": "octo/hello"' })).status).toBe(401);
    expect((await deliver('push', null, { raw: 'not json, but signed' })).status).toBe(400);
    // Signed with hooked's secret, but about another repository.
    expect((await deliver('push', pushEvent('refs/heads/main', sha, { repository: { full_name: 'victim/app', clone_url: 'https://github.com/victim/app.git' } }))).status).toBe(401);
    expect((await deploys()).length).toBe(2);
    expect(mc.output()).toContain('GitHub webhook refused (signature does not match)');
    expect(mc.output()).not.toContain('body is not JSON');
  });

  it('fetches nothing a signed payload points at: another host, another app\'s repository, file://, 127.0.0.1', async () => {
    // A commit that exists only elsewhere: another app's repository on this server, and another host.
    const victim = fixtureRepo('node-hello');
    writeFileSync(join(victim, 'EVIL.md'), 'not octo/hello\n');
    const evil = commitAll(victim, 'evil');
    expect((await mc.api('POST', '/api/apps', { name: 'victim' })).status).toBe(201);
    expect((await push(victim, mc.gitUrl('victim'))).code).toBe(0);
    const victimRepo = join(mc.dataDir, 'repos', 'victim.git');
    const urls = [`${elsewhere.base}evil/app.git`, victimRepo, `file://${victimRepo}`, 'https://127.0.0.1:1/octo/hello.git', `http://127.0.0.1:${mc.apiPort}/git/victim.git`];
    const before = github.requests.length;
    for (const clone_url of urls) {
      const res = await deliver('push', pushEvent('refs/heads/main', evil, { repository: { full_name: 'octo/hello', clone_url, private: true } }));
      expect(res.status, clone_url).toBe(202);
      const done = await finished(res.body.deploys?.[0]?.deploy);
      expect(done.status, clone_url).toBe('failed');
      expect(done.error).toContain(`could not fetch ${evil.slice(0, 7)} from ${github.base}octo/hello.git`);
    }
    expect(elsewhere.requests).toEqual([]);
    expect(github.requests.slice(before).every((r) => r.path.startsWith('/octo/hello.git/'))).toBe(true);
    expect(mc.output()).not.toContain('victim.git');
    expect((await mc.api<{ commit: string }[]>('GET', '/api/apps/hooked/releases')).body.map((r) => r.commit)).not.toContain(evil);
  });

  it('acknowledges and ignores other branches, tags and deletions', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    const count = (await deploys()).length;
    for (const [ref, over] of [['refs/heads/feature', {}], ['refs/tags/v1.0', {}], ['refs/heads/main', { deleted: true, after: '0'.repeat(40) }]] as const) {
      const res = await deliver('push', pushEvent(ref, sha, over));
      expect(res.status, `${ref} ${JSON.stringify(over)}`).toBe(202);
      expect(res.body.message).toMatch(/^ignored/);
    }
    expect((await deploys()).length).toBe(count);
  });

  it('takes a push of master for an app that follows main, as git pushes do (the commit deployed already: nothing to do)', async () => {
    const res = await deliver('push', pushEvent('refs/heads/master', git(work, 'rev-parse', 'HEAD')));
    expect(res).toMatchObject({ status: 200, body: { message: expect.stringMatching(/^already deployed/) } });
  });

  it('answers 413 to a payload over 1 MB', async () => {
    const res = await deliver('push', pushEvent('refs/heads/main', git(work, 'rev-parse', 'HEAD'), { padding: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
  });

  it('logs a flood of refusals at a bounded rate', async () => {
    const before = mc.output().split('GitHub webhook refused').length;
    await Promise.all(Array.from({ length: 200 }, () => deliver('push', { repository: { full_name: 'octo/hello' } }, { sign: 'wrong' })));
    const lines = mc.output().split('GitHub webhook refused').length - before;
    expect(lines).toBeLessThanOrEqual(10);
  });
});

describe('the CLI', () => {
  it('apps:connect prints the payload URL and the secret to paste into GitHub', async () => {
    const r = await mc.cli('apps:connect', 'hooked', '--github', 'octo/hello', '--branch', 'main');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Payload URL:   http://127.0.0.1:${mc.apiPort}/webhooks/github`);
    expect(r.stdout).toMatch(/Secret: +[0-9a-f]{64}/);
    // Without --branch: the app's deploy branch.
    expect((await mc.cli('apps:set', 'hooked', 'branch=production')).code).toBe(0);
    const followed = await mc.cli('apps:connect', 'hooked', '--github', 'octo/hello');
    expect(followed.stdout).toContain('follows octo/hello (branch production)');
    expect((await mc.cli('apps:set', 'hooked', 'branch=main')).code).toBe(0);
    expect((await mc.cli('apps:connect', 'hooked', '--github', 'octo/hello', '--branch', 'main')).code).toBe(0);
    const bad = await mc.cli('apps:connect', 'hooked', '--github', 'not a repo');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not owner/repo');
  });

  it('releases shows the commit, its author and message', async () => {
    const r = await mc.cli('releases', 'hooked');
    expect(r.stdout).toMatch(/v2 \(current\)\s+succeeded\s+Deploy [0-9a-f]{7}\s+[0-9a-f]{7}\s+Octo Cat\s+second/);
  });
});
