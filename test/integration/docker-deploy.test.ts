// Docker end to end: every fixture language pushed with git, built into an image, run as a container, served by the router.
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
const SECRET = 'sup3r-s3cret-value-for-layers';

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test', MINICLOUD_KEEP_IMAGES: '2' });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

async function deploy(app: string, fixture: string): Promise<{ repo: string; output: string }> {
  expect((await mc.cli('apps:create', app)).code).toBe(0);
  const repo = fixtureRepo(fixture);
  const r = await push(repo, mc.gitUrl(app));
  expect(r.code, r.output).toBe(0);
  return { repo, output: r.output };
}

// Builds wait on their own end (the push's exit), under vitest's generous ceiling (test/vitest.config.ts): a loaded machine
// (a fresh CI one, pulling nothing but busy) can take minutes.
describe('the Docker runtime, end to end', () => {
  it('reports Docker as the runtime', async () => {
    const s = await mc.cli('status');
    expect(s.stdout).toMatch(/Runtime: +Docker \d/);
  });

  // containers: how many a code-only push may run (the legacy builder prints `Running in` for each): the buildpack's
  // steps that do work on the new code, never one for a setting (ENV, EXPOSE, USER, CMD: 0.2-0.4 s apiece).
  it.each([
    ['python', 'python', 2], ['ruby', 'ruby', 2], ['go', 'go', 1], ['static', 'static', 1], ['dockerfile', 'dockerfile', 0],
  ])('builds and runs the %s fixture as a container behind the router; a code-only push runs no container for settings', async (fixture, lang, containers) => {
    const app = `dk-${fixture}`;
    const { output, repo } = await deploy(app, fixture);
    expect(output).toContain('v1 is live');
    const reply = await get(mc.httpPort, `${app}.localhost`);
    expect(reply.status, output).toBe(200);
    expect(reply.body.toLowerCase()).toContain(`hello from ${lang}`);
    const labels = JSON.parse(docker('image', 'inspect', `minicloud/${app}:v1`, '--format', '{{json .Config.Labels}}')) as Record<string, string>;
    expect(labels).toMatchObject({ 'minicloud.app': app });
    const settings = (v: number) => docker('image', 'inspect', `minicloud/${app}:v${v}`, '--format', '{{.Config.User}} {{json .Config.Cmd}} {{json .Config.ExposedPorts}}');
    writeFileSync(join(repo, 'CHANGES.txt'), `a code-only change ${Date.now()}\n`);
    commitAll(repo, 'code only');
    const second = await push(repo, mc.gitUrl(app));
    expect(second.code, second.output).toBe(0);
    expect(second.output.match(/Running in [0-9a-f]+/g) ?? [], second.output).toHaveLength(containers);
    expect((await get(mc.httpPort, `${app}.localhost`)).body.toLowerCase()).toContain(`hello from ${lang}`);
    // The same settings as before: the app's user, command and port (a buildpack's app runs as uid 10001).
    expect(settings(2)).toBe(settings(1));
    if (fixture !== 'dockerfile') expect(settings(2)).toMatch(/^10001:10001 /);
  });

  it('rebuilds a code-only change of the Node app without reinstalling dependencies, and keeps no secret in layers or logs', async () => {
    const app = 'dk-node';
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    expect((await mc.cli('config:set', app, `SECRET_TOKEN=${SECRET}`)).code).toBe(0);
    const repo = fixtureRepo('node');
    const first = await push(repo, mc.gitUrl(app));
    expect(first.code, first.output).toBe(0);
    expect((await get(mc.httpPort, `${app}.localhost`)).body).toContain('hello from node');

    appendFileSync(join(repo, 'server.js'), `\n// a code-only change, new at every run (so its build step runs, not a cached layer) ${Date.now()}\n`);
    writeFileSync(join(repo, 'VERSION'), 'two\n');
    commitAll(repo, 'code only');
    const second = await push(repo, mc.gitUrl(app));
    expect(second.code, second.output).toBe(0);
    // Both dependency installs (production, then all for the build) reuse their layers: the legacy
    // builder says "Using cache" right after each step, and npm never runs.
    const lines = second.output.split('\n');
    const installs = lines.flatMap((l, i) => (/RUN sh \/minicloud\/node-install\.sh/.test(l) ? [i] : []));
    expect(installs, second.output).toHaveLength(2);
    for (const i of installs) expect(lines[i + 1], second.output).toContain('Using cache');
    expect(second.output).not.toMatch(/added \d+ package/);
    // The build step ran again (new code), its script as its own command as on the host: no npm banner before its line.
    expect(second.output).toContain('wrote build-info.json');
    expect(second.output).not.toMatch(/> minicloud-fixture-node@[\d.]+ build/);
    // That step is the only container the push ran: the image's settings and label are cached layers.
    expect(second.output.match(/Running in [0-9a-f]+/g) ?? [], second.output).toHaveLength(1);
    expect((await get(mc.httpPort, `${app}.localhost`)).body).toContain('hello from node');

    // The config var reached the app's environment, and nothing else.
    for (const v of [1, 2]) {
      expect(docker('history', '--no-trunc', `minicloud/${app}:v${v}`)).not.toContain(SECRET);
      expect(docker('image', 'inspect', `minicloud/${app}:v${v}`)).not.toContain(SECRET);
    }
    expect(first.output + second.output).not.toContain(SECRET);
    const deploys = await mc.api<Array<{ id: string }>>('GET', `/api/apps/${app}/deploys`);
    for (const d of deploys.body) {
      const log = await mc.api<unknown>('GET', `/api/deploys/${d.id}/log`);
      expect(JSON.stringify(log.body)).not.toContain(SECRET);
    }

    // MINICLOUD_KEEP_IMAGES=2: a third build prunes v1's image, keeps v2 and v3 (rollbacks).
    writeFileSync(join(repo, 'VERSION'), 'three\n');
    commitAll(repo, 'third');
    expect((await push(repo, mc.gitUrl(app))).code).toBe(0);
    const tags = docker('images', `minicloud/${app}`, '--format', '{{.Tag}}').split('\n').filter(Boolean).sort();
    expect(tags).toEqual(['v2', 'v3']);
  });

  it('leaves out what .dockerignore names, and limits the app\'s memory as resources:set says', async () => {
    const app = 'dk-ignore';
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    const repo = fixtureRepo('static');
    writeFileSync(join(repo, 'private-notes.txt'), 'not for the image\n');
    writeFileSync(join(repo, 'public.txt'), 'for everyone\n');
    writeFileSync(join(repo, '.dockerignore'), 'private-notes.txt\n');
    commitAll(repo, 'with a .dockerignore');
    const r = await push(repo, mc.gitUrl(app));
    expect(r.code, r.output).toBe(0);
    expect((await get(mc.httpPort, `${app}.localhost`, '/public.txt')).status).toBe(200);
    expect((await get(mc.httpPort, `${app}.localhost`, '/private-notes.txt')).status).toBe(404);

    const memoryOf = () => docker('ps', '--filter', `label=minicloud.app=${app}`, '--format', '{{.ID}}').trim().split('\n')
      .map((id) => Number(docker('inspect', id, '--format', '{{.HostConfig.Memory}}').trim()));
    expect(memoryOf()).toEqual([512 * 1024 * 1024]);
    const set = await mc.cli('resources:set', app, 'memory=128M');
    expect(set.code, set.stdout + set.stderr).toBe(0);
    // The old container drains for a moment, then only the new one runs.
    await until('only the new container', async () => (memoryOf().join() === String(128 * 1024 * 1024) ? true : undefined));
    expect((await mc.cli('resources', app)).stdout).toContain('memory: 128 MiB');

    // Least privilege, whatever resources:set says: no capabilities, no setuid gains, not root (the buildpack's user).
    const set2 = await mc.cli('resources:set', app, 'cpu=0.5', 'pids=64');
    expect(set2.code, set2.stdout + set2.stderr).toBe(0);
    const limits = () => docker('ps', '--filter', `label=minicloud.app=${app}`, '--format', '{{.ID}}').trim().split('\n')
      .map((id) => docker('inspect', id, '--format', '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.Config.User}}').trim());
    await until('the container with the new limits', async () => (limits().join() === '500000000 64 [ALL] [no-new-privileges] 10001:10001' ? true : undefined));
    expect((await mc.cli('resources', app)).stdout).toMatch(/cpu:\s+0\.5\n[\s\S]*pids:\s+64/);
  });

  it('fails a build that finds no buildpack, listing what each looks for', async () => {
    expect((await mc.cli('apps:create', 'dk-nothing')).code).toBe(0);
    const repo = fixtureRepo('static');
    execFileSync('git', ['rm', '-q', 'index.html'], { cwd: repo });
    commitAll(repo, 'nothing to detect');
    const r = await push(repo, mc.gitUrl('dk-nothing'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('no buildpack recognised this app');
    expect(r.output).toMatch(/node \(package\.json/);
  });
});
