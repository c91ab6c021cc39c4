// The spine end to end: git push deploys the fixture Node app through real git, Redis and the router. Each case
// makes the app it needs (helpers/deployed.ts), so each runs alone (`-t`) and in any order.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitVersion, deployedFixture } from '../helpers/deployed.ts';
import { commitAll, fixtureRepo, git, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;

const serve = (app: string) => get(mc.httpPort, `${app}.localhost`);
const version = async (app: string) => JSON.parse((await serve(app)).body) as { version: string; foo: string | null };

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('git push to deploy', () => {
  it('creates an app with the CLI and prints its git remote', async () => {
    const r = await mc.cli('apps:create', 'created');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`git remote add minicloud http://127.0.0.1:${mc.apiPort}/git/created.git`);
  });

  it('deploys the first push, streaming the build log while it runs', async () => {
    const { first: r } = await deployedFixture(mc, 'hello');
    const first = r.lines.find((l) => l.text.includes('-----> Building hello'));
    const last = r.lines.find((l) => l.text.includes('build step 4/4'));
    expect(first, r.output).toBeDefined();
    // The fixture's build talks for ~2.8 s: its first line must arrive seconds before its last, not in one burst.
    expect(last!.at - first!.at).toBeGreaterThan(1500);
    expect(r.durationMs - first!.at).toBeGreaterThan(1500);
    expect(r.output).toMatch(/remote: -----> v1 is live at http:\/\/hello\.localhost:\d+/);
    const reply = await serve('hello');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ version: 'v1' });
    const releases = await mc.api<{ commitAuthor: string; commitMessage: string }[]>('GET', '/api/apps/hello/releases');
    expect(releases.body[0]).toMatchObject({ commitAuthor: 't <t@t>', commitMessage: 'first' });
  });

  it('serves v2 after a second push', async () => {
    const { repo } = await deployedFixture(mc, 'second');
    commitVersion(repo, 'v2');
    const r = await push(repo, mc.gitUrl('second'));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('v2 is live');
    expect(await version('second')).toMatchObject({ version: 'v2' });
    const access = await mc.cli('logs', 'second', '--router');
    expect(access.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z GET second\.localhost \/ 200 \d+ \d+ [\w-]+ 127\.0\.0\.1 "[^"]*"$/m);
  });

  it('rejects a push whose build fails, keeps v1 serving and the deploy branch where it was', async () => {
    const { repo } = await deployedFixture(mc, 'broken');
    const before = git(repo, 'ls-remote', mc.gitUrl('broken'), 'refs/heads/main');
    writeFileSync(join(repo, 'build.js'), 'this is not javascript(\n');
    commitAll(repo, 'broken build');
    const r = await push(repo, mc.gitUrl('broken'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('`npm run build` failed with exit code 1');
    expect(r.output).toContain('v1 is still serving');
    expect(await version('broken')).toMatchObject({ version: 'v1' });
    expect(git(repo, 'ls-remote', mc.gitUrl('broken'), 'refs/heads/main')).toBe(before);
  });

  it('rejects a push whose manifest has a wrong field, naming the field', async () => {
    const { repo } = await deployedFixture(mc, 'manifest');
    writeFileSync(join(repo, 'cloud_manifest.yml'), 'expose:\n  proto: http\n  port: 99999\n');
    commitAll(repo, 'bad manifest');
    const r = await push(repo, mc.gitUrl('manifest'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('cloud_manifest.yml: expose.port must be a port number from 1 to 65535 (got 99999)');
    expect(r.output).toContain('v1 is still serving');
  });

  it('refuses a push of another branch, saying which deploys and how to change it; apps:set branch= makes it deploy', async () => {
    const { repo } = await deployedFixture(mc, 'branches');
    git(repo, 'checkout', '-q', '-b', 'feature');
    commitVersion(repo, 'v2');
    const r = await push(repo, mc.gitUrl('branches'), 'feature');
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('branches deploys pushes of main (or master), not feature: nothing was pushed');
    expect(r.output).toContain('git push minicloud feature:main');
    expect(r.output).toContain('minicloud apps:set branches branch=feature');
    expect(git(repo, 'ls-remote', mc.gitUrl('branches'), 'refs/heads/feature')).toBe('');
    expect(await version('branches')).toMatchObject({ version: 'v1' });

    const set = await mc.cli('apps:set', 'branches', 'branch=feature');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('branches deploys pushes of feature');
    expect((await mc.cli('apps:info', 'branches')).stdout).toMatch(/Deploy branch:?\s+feature/);
    const again = await push(repo, mc.gitUrl('branches'), 'feature');
    expect(again.code, again.output).toBe(0);
    expect(await version('branches')).toMatchObject({ version: 'v2' });
    // main no longer deploys; a bad branch name or setting is refused before anything changes.
    const main = await push(repo, mc.gitUrl('branches'), 'feature:main');
    expect(main.output).toContain('branches deploys pushes of feature, not main');
    const bad = await mc.cli('apps:set', 'branches', 'branch=../x');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid branch name');
    expect((await mc.cli('apps:set', 'branches', 'colour=red')).stderr).toContain('unknown app setting "colour"');
  });

  it('deploys a push of master from a fresh `git init` that names its branch master', async () => {
    expect((await mc.cli('apps:create', 'legacy')).code).toBe(0);
    const repo = fixtureRepo('node-hello');
    git(repo, 'branch', '-m', 'main', 'master');
    const r = await push(repo, mc.gitUrl('legacy'), 'master');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/v1 is live/);
  });

  it('restarts the app with a config var set by the CLI', async () => {
    await deployedFixture(mc, 'configured');
    const r = await mc.cli('config:set', 'configured', 'FOO=bar');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('bar');
    expect(await version('configured')).toMatchObject({ foo: 'bar', version: 'v1' });
  });
});

describe('refusals', () => {
  it('authenticates every API and git route', async () => {
    expect((await mc.cli('apps:create', 'guarded')).code).toBe(0);
    const api = await fetch(`${mc.apiUrl}/api/apps`);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: 'missing bearer token' });
    const bad = await fetch(`${mc.apiUrl}/api/apps`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    // Git's POST, which node-git-server itself would let through unauthenticated.
    const post = await fetch(`${mc.apiUrl}/git/guarded.git/git-receive-pack`, { method: 'POST', body: '0000' });
    expect(post.status).toBe(401);
    const hook = await fetch(`${mc.apiUrl}/internal/hooks/plan`, { method: 'POST', headers: { authorization: `Bearer ${mc.token}` } });
    expect(hook.status).toBe(401);
  });

  it('refuses a bad token', async () => {
    expect((await mc.cli('apps:create', 'locked')).code).toBe(0);
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl('locked', 'wrong-token'));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/invalid token|Authentication failed/);
  });

  it('names an unknown app', async () => {
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl('nope'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('app nope does not exist');
  });

  it('refuses invalid app names in the API and the CLI', async () => {
    for (const name of ['../x', 'A B', 'a'.repeat(64)]) {
      const api = await mc.api<{ error: string; hint: string }>('POST', '/api/apps', { name });
      expect(api.status).toBe(400);
      expect(api.body.error).toMatch(/app name/);
      expect(api.body.hint).toBeTruthy();
      const cli = await mc.cli('apps:create', name);
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toMatch(/app name/);
    }
    const r = await push(fixtureRepo('node-hello'), `http://x:${mc.token}@127.0.0.1:${mc.apiPort}/git/A%20B.git`);
    expect(r.output).toContain('invalid app name');
  });
});

describe('restart of minicloud', () => {
  it('keeps apps, releases and config, serves the app, and deploys again', async () => {
    const { repo } = await deployedFixture(mc, 'survivor');
    expect((await mc.cli('config:set', 'survivor', 'FOO=bar')).code).toBe(0);
    // A dashboard session made before the restart is still good after it.
    const login = await fetch(`${mc.apiUrl}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: mc.token }) });
    expect(login.status).toBe(201);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    await mc.restart();
    expect((await fetch(`${mc.apiUrl}/api/apps`, { headers: { cookie } })).status).toBe(200);
    const releases = await mc.api<{ version: number; current: boolean }[]>('GET', '/api/apps/survivor/releases');
    expect(releases.body[0]).toMatchObject({ version: 2, current: true });
    const config = await mc.api<Record<string, string>>('GET', '/api/apps/survivor/config');
    expect(config.body).toEqual({ FOO: 'bar' });
    await until('survivor to answer after the restart', async () => ((await serve('survivor')).status === 200 ? true : undefined));
    commitVersion(repo, 'v3');
    const r = await push(repo, mc.gitUrl('survivor'));
    expect(r.code, r.output).toBe(0);
    expect(await version('survivor')).toMatchObject({ version: 'v3', foo: 'bar' });
    const build = await mc.cli('logs', 'survivor', '--build');
    expect(build.stdout).toContain('v3 is live');
  });

  it('finishes a build that was running when minicloud restarted, and the push still succeeds', async () => {
    const { repo } = await deployedFixture(mc, 'interrupted');
    commitVersion(repo, 'v2');
    let sawBuild!: () => void;
    const building = new Promise<void>((r) => (sawBuild = r));
    const pushing = push(repo, mc.gitUrl('interrupted'), 'main', (l) => { if (l.includes('build step 1/4')) sawBuild(); });
    await building;
    await mc.restart();
    const r = await pushing;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('minicloud restarted during this deploy; starting it again');
    expect(r.output).toContain('v2 is live');
    expect(await version('interrupted')).toMatchObject({ version: 'v2' });
  });
});
