// kill -9 of minicloud mid-build on the Docker runtime: the engine's build ends with minicloud, and the deploy is built again once, alone.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
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
