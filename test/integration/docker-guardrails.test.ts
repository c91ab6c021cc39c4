// Guardrails on Docker: a build past its memory cap or unable to pull its base image fails with what to do, and the
// running release keeps serving; a renamed app's images follow it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
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

it('fails a build whose base image cannot be pulled saying what can fix it (no commit can), and the same push goes again', async () => {
  expect((await mc.cli('apps:create', 'unpulled')).code).toBe(0);
  const repo = fixtureRepo('node-hello');
  // Nothing listens on port 9: the registry does not answer, as when the server's network is down.
  writeFileSync(join(repo, 'Dockerfile'), 'FROM 127.0.0.1:9/minicloud-test/nothing:1\nCMD ["node", "server.js"]\n');
  commitAll(repo, 'from an unreachable registry');
  const r = await push(repo, mc.gitUrl('unpulled'));
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('a base image could not be pulled: the registry did not answer');
  expect(r.output).toContain('no commit can fix this');
  expect(r.output).toContain('run the same `git push` again');
  expect(r.output).not.toContain('commit, and push again');
  // As said: the branch stayed where it was, so the same push is tried again (and fails the same way here).
  const again = await push(repo, mc.gitUrl('unpulled'));
  expect(again.output).toContain('a base image could not be pulled');
});

it('apps:rename on Docker: the images retagged to the new name (none left under the old), the app serving at its new URL', async () => {
  expect((await mc.cli('apps:create', 'dockold')).code).toBe(0);
  const first = await push(fixtureRepo('node-hello'), mc.gitUrl('dockold'));
  expect(first.code, first.output).toBe(0);
  const r = await mc.cli('apps:rename', 'dockold', 'docknew');
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse((await get(mc.httpPort, 'docknew.localhost')).body)).toMatchObject({ version: 'v1' });
  expect(docker('images', '--format', '{{.Repository}}:{{.Tag}}', 'minicloud/docknew')).toContain('minicloud/docknew:v1');
  expect(docker('images', '--format', '{{.Repository}}:{{.Tag}}', 'minicloud/dockold')).toBe('');
  // Gone with it: nothing of the app left under either name.
  expect((await mc.cli('apps:destroy', 'docknew', '--confirm', 'docknew')).code).toBe(0);
  expect(docker('images', '--format', '{{.Repository}}:{{.Tag}}', 'minicloud/docknew')).toBe('');
});
