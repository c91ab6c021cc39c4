// `minicloud run <app> bash` from a terminal on the Docker runtime: the real CLI under a pseudo-terminal, the one-off a
// container made with a TTY. Typed commands run with the app's config, the window size follows, the exit code comes
// back, and a cut connection removes the container.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInPty } from '../helpers/console.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'dk-konsole';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  await deployedFixture(mc, APP);
  expect((await mc.cli('config:set', APP, 'GREETING=hello-container')).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

const oneOffs = () => docker('ps', '-a', '--filter', `name=mc-${APP}-run-`, '--format', '{{.Names}}').trim();

describe('minicloud run <app> bash on Docker', () => {
  it('runs what is typed in the app container, follows the window size and exits with the code', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('echo "[$GREETING-$PORT]"; stty size\r');
    await c.until(/\[hello-container-\d+\]/);
    await c.until(/^30 100\r?$/m);
    c.pty.resize(120, 40);
    await new Promise((r) => setTimeout(r, 500));
    c.pty.write('stty size; exit 3\r');
    await c.until(/^40 120\r?$/m);
    expect(await c.exited).toBe(3);
    await waitFor(() => oneOffs() === '', 30_000, 'the one-off container to be removed');
  });

  it('removes the container when the connection is cut', async () => {
    const c = cliInPty(mc, ['run', APP, 'bash']);
    c.pty.write('echo "up-$((1+1))"\r');
    await c.until(/up-2/);
    expect(oneOffs()).not.toBe('');
    c.pty.kill('SIGKILL');
    await waitFor(() => oneOffs() === '', 30_000, 'the one-off container to be removed');
  });
});
