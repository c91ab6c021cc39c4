// Waking an app on Docker: while it sleeps its container is parked (started, the app's command held back by its shell),
// and the wake runs the command in it: one start answers a burst, a config change while asleep is not lost, and a
// restarted or destroyed app leaves no parked container behind.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
// The engine is shared with other tests: container names carry the app's.
const APP = `dk-wake-${randomBytes(3).toString('hex')}`;

const ps = async (): Promise<Instance[]> => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body;
/** The app's containers (all states): id, state, whether parked. */
const containers = () => docker('ps', '-a', '--no-trunc', '--filter', `label=minicloud.app=${APP}`, '--format', '{{.ID}} {{.State}} {{.Label "minicloud.instance"}} {{.Label "minicloud.parked"}}')
  .split('\n').filter(Boolean).map((l) => { const [id, state, instance, parked] = l.split(' '); return { id: id!, state: state!, instance: instance!, parked: parked === '1' }; });
const processes = (id: string) => docker('top', id, '-o', 'pid,comm').split('\n').slice(1).map((l) => l.trim().replace(/^\d+\s+/, ''));
const sleepNow = async () => expect((await mc.api<{ state: string }>('PUT', `/api/apps/${APP}/sleep`, { now: true })).body.state).toBe('sleeping');
const appGet = async () => get(mc.httpPort, `${APP}.localhost`);

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  await deployedFixture(mc, APP, 'node-hello');
});

afterAll(async () => {
  await mc?.api('DELETE', `/api/apps/${APP}?confirm=${APP}`).catch(() => {});
  await mc?.stop();
  await redis?.stop();
});

describe('a sleeping app on Docker', () => {
  it('is parked: one running container whose shell holds the command back, no node in it', async () => {
    await sleepNow();
    expect(await ps()).toEqual([]);
    const parked = containers().filter((c) => c.state === 'running');
    expect(parked).toHaveLength(1);
    expect(parked[0]!.parked).toBe(true);
    expect(processes(parked[0]!.id).sort()).toEqual(['docker-init', 'sh', 'sleep']);
  });

  it('wakes in its parked container: a burst of first requests answered by one start', async () => {
    const [parked] = containers().filter((c) => c.parked && c.state === 'running');
    const answers = await Promise.all(Array.from({ length: 8 }, appGet));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const web = (await ps()).filter((i) => i.type === 'web');
    expect(web).toHaveLength(1);
    expect(web[0]!.id).toBe(parked!.instance);
    // The command replaced the shell: node runs, the held-back shell and its sleep are gone.
    expect(processes(parked!.id).sort()).toEqual(['docker-init', 'node']);
    expect(containers().filter((c) => c.state === 'running')).toHaveLength(1);
  });

  it('keeps a config change made while asleep: the wake starts a fresh container and drops the parked one', async () => {
    await sleepNow();
    const [parked] = containers().filter((c) => c.parked && c.state === 'running');
    expect(parked).toBeDefined();
    expect((await mc.cli('config:set', APP, 'FOO=while-asleep')).code).toBe(0);
    const res = await appGet();
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ foo: 'while-asleep' });
    await waitFor(() => !containers().some((c) => c.id === parked!.id), 20_000, 'the outdated parked container to go');
    expect(containers().filter((c) => c.state === 'running')).toHaveLength(1);
  });

  it('after a restart of minicloud, is parked again (the old parked container removed), and wakes', async () => {
    await sleepNow();
    const [before] = containers().filter((c) => c.parked && c.state === 'running');
    await mc.restart();
    expect(containers().some((c) => c.id === before!.id)).toBe(false);
    await waitFor(() => containers().filter((c) => c.parked && c.state === 'running').length === 1, 30_000, 'the app to be parked again')
      .catch((e) => { console.log(mc.output().slice(-12000), containers()); throw e; });
    expect((await appGet()).status).toBe(200);
  });

  it('destroyed while asleep, leaves no container', async () => {
    await sleepNow();
    expect(containers().length).toBeGreaterThan(0);
    expect((await mc.api('DELETE', `/api/apps/${APP}?confirm=${APP}`)).status).toBe(204);
    expect(containers()).toEqual([]);
  });
});
