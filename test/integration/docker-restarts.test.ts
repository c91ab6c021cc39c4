// kill -9 of minicloud mid-build on the Docker runtime: the engine's build ends with minicloud, and the deploy is built again once, alone.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
const APP = 'dk-restart';
const MARKER = `build-marker-${randomBytes(4).toString('hex')}`;

/** Containers of the engine running the marked build step (the legacy builder's intermediate containers). */
const buildContainers = () => docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}').split('\n').filter((l) => l.includes(MARKER));

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('kill -9 of minicloud mid-build on Docker', () => {
  it('leaves no build container behind, and builds the deploy again once, never beside another build', async () => {
    expect((await mc.cli('apps:create', APP)).code).toBe(0);
    const repo = fixtureRepo('dockerfile');
    expect((await push(repo, mc.gitUrl(APP))).code).toBe(0);
    const file = join(repo, 'Dockerfile');
    writeFileSync(file, readFileSync(file, 'utf8').replace('CMD [', `RUN echo ${MARKER} && sleep 8\nCMD [`));
    const sha = commitAll(repo, 'a slow step');
    let sawStep!: () => void;
    const inStep = new Promise<void>((r) => (sawStep = r));
    const pushing = push(repo, mc.gitUrl(APP), 'main', (l) => { if (l.includes(MARKER) && !l.includes('RUN')) sawStep(); });
    await inStep;
    expect(buildContainers()).toHaveLength(1);

    await mc.crash();
    expect((await pushing).code).not.toBe(0);
    await waitFor(() => buildContainers().length === 0, 15_000, 'the engine to drop the build whose client died');

    await mc.start();
    let most = 0;
    const watch = setInterval(() => { most = Math.max(most, buildContainers().length); }, 250);
    const deploy = await until('the deploy to end', async () => {
      const d = (await mc.api<Deploy[]>('GET', `/api/apps/${APP}/deploys`)).body.find((x) => x.commit === sha);
      return d?.status === 'succeeded' || d?.status === 'failed' ? d : undefined;
    }, 240_000).finally(() => clearInterval(watch));
    expect(deploy.status).toBe('succeeded');
    expect(most).toBeLessThanOrEqual(1);
    const log = await mc.cli('logs', APP, '--build');
    expect(log.stdout).toContain('minicloud restarted during this deploy; starting it again');
    // The step ran twice in all: in the build minicloud's death cut short, and once after the restart.
    expect(log.stdout.split('\n').filter((l) => l.trim() === MARKER)).toHaveLength(2);
    expect(buildContainers()).toEqual([]);
  });
});

describe('an app process that dies on Docker', () => {
  it('is started again in place by the supervisor, leaving no exited container behind', async () => {
    const app = 'dk-crash';
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl(app));
    expect(r.code, r.output).toBe(0);
    const containers = (status: string) => docker('ps', '-a', '-q', '--filter', `label=minicloud.app=${app}`, '--filter', 'label=minicloud.type=web', '--filter', `status=${status}`).split('\n').filter(Boolean);
    const [first] = containers('running');
    expect(first).toBeTruthy();
    docker('kill', first!);
    // The supervisor starts it again under the same instance id (and so the same container name): a container of that
    // name left behind made every restart fail with a name conflict, and the app never came back.
    const back = await until('the app answering again from a new container', async () => {
      const [now] = containers('running');
      if (!now || first!.startsWith(now) || now.startsWith(first!)) return undefined;
      const res = await get(mc.httpPort, `${app}.localhost`).catch(() => null);
      return res?.status === 200 ? now : undefined;
    }, 60_000);
    expect(back).toBeTruthy();
    const [inst] = (await mc.api<Array<{ restarts: number; state: string }>>('GET', `/api/apps/${app}/ps`)).body;
    expect(inst).toMatchObject({ state: 'up' });
    expect(inst!.restarts).toBeGreaterThanOrEqual(1);
    expect(containers('exited')).toEqual([]);
  });
});
