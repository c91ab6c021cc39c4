// `minicloud prune` on Docker: the app's untagged images (a dangling leftover) go, the images of its kept releases
// stay, and a rollback to the older release serves after the prune.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = `dprune-${randomBytes(3).toString('hex')}`;
let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
});

afterAll(async () => {
  await mc?.stop(); // destroys the app, and with it its images
  await redis?.stop();
});

const imagesOf = (filter: string) => docker('images', '-q', '--no-trunc', '--filter', filter).split('\n').filter(Boolean);

it('removes the app\'s dangling images and keeps its releases\' images; rollback serves after it', async () => {
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  const repo = fixtureRepo('dockerfile');
  for (const n of [1, 2]) {
    writeFileSync(join(repo, 'version.txt'), `v${n}\n`);
    commitAll(repo, `v${n}`);
    const r = await push(repo, mc.gitUrl(APP));
    expect(r.code, r.output).toBe(0);
  }
  const tagged = () => docker('images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `label=minicloud.app=${APP}`).split('\n').filter((t) => !t.includes('<none>')).sort();
  const releases = tagged();
  expect(releases).toHaveLength(2);
  // A leftover: an untagged image of this app (what an interrupted build or a moved tag leaves).
  execFileSync('docker', ['build', '-q', '--label', `minicloud.app=${APP}`, '--label', `leftover=${APP}`, '-'], {
    input: 'FROM minicloud/python\nLABEL purpose=leftover\n', env: { ...process.env, DOCKER_HOST: dockerHost() }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  expect(imagesOf(`label=leftover=${APP}`)).toHaveLength(1);

  const df = await mc.cli('df');
  expect(df.code, df.stderr).toBe(0);
  expect(df.stdout).toMatch(/APP\s+GIT\s+BUILDS\s+IMAGES\s+CACHE/);
  expect(df.stdout).toMatch(new RegExp(`\\n${APP}\\s+\\d`));
  const out = await mc.cli('prune');
  expect(out.code, out.stderr).toBe(0);
  expect(imagesOf(`label=leftover=${APP}`)).toEqual([]);
  expect(tagged()).toEqual(releases);

  const back = await mc.cli('rollback', APP, 'v1');
  expect(back.code, back.stderr).toBe(0);
  await until('v1 to serve after the rollback', async () => ((await get(mc.httpPort, `${APP}.localhost`, '/')).status === 200 ? true : undefined));
});
