// Guardrails on Docker: a build past its memory cap fails with what to do, and the running release keeps serving.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test', MINICLOUD_BUILD_MEMORY: '192',
  });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

it('fails a build that hits its memory cap with the out-of-memory message, and v1 keeps serving untouched', async () => {
  expect((await mc.cli('apps:create', 'hog')).code).toBe(0);
  const repo = fixtureRepo('node-hog');
  const first = await push(repo, mc.gitUrl('hog'));
  expect(first.code, first.output).toBe(0);
  const before = await mc.api<Array<{ id: string }>>('GET', '/api/apps/hog/ps');

  writeFileSync(join(repo, 'HOG'), 'eat memory\n');
  commitAll(repo, 'a hungry build');
  const r = await push(repo, mc.gitUrl('hog'));
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('the build ran out of memory (its cap is 192 MiB)');
  expect(r.output).toMatch(/add swap|MINICLOUD_BUILD_MEMORY/);
  expect(r.output).toContain('v1 is still serving');
  expect((await get(mc.httpPort, 'hog.localhost')).body).toBe('hog v1');
  const after = await mc.api<Array<{ id: string }>>('GET', '/api/apps/hog/ps');
  expect(after.body.map((i) => i.id)).toEqual(before.body.map((i) => i.id)); // not restarted
});
