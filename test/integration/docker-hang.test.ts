// A hung container on the Docker runtime, as a user meets it: paused (`docker pause`) or its app process SIGSTOPped,
// it is replaced and serving within 15 s with the default health checks; an app answering slowly under load is not
// restarted (the host-process side of this is in limits.test.ts).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { deployedFixture } from '../helpers/deployed.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
const APP = 'dk-hang';

type Stored = Instance & { handle: string | null };
const ask = (path: string, timeoutMs = 5000) => new Promise<{ pid: number }>((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port: mc.httpPort, path, headers: { host: `${APP}.localhost` }, timeout: timeoutMs }, (res) => {
    let body = '';
    res.on('data', (c: Buffer) => (body += c));
    res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as { pid: number }) : reject(new Error(`${res.statusCode}: ${body}`))));
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', reject);
  req.end();
});
const web = async () => (await mc.api<Stored[]>('GET', `/api/apps/${APP}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');
/** The one web container up and answering. */
const serving = () => until(`${APP} to answer`, async () => {
  const [inst] = await web();
  return inst?.handle && (await ask('/').catch(() => undefined)) ? inst : undefined;
});
const exists = (id: string) => { try { docker('inspect', '--format', '{{.Id}}', id); return true; } catch { return false; } };

/** Hangs the serving container with `hang`, then: how long until another one answers, and it is not the hung one. */
async function replaced(hang: (container: string) => void): Promise<number> {
  const before = await serving();
  const t0 = Date.now();
  hang(before.handle!);
  const next = await until('another container to answer', async () => {
    const r = await ask('/', 1000).catch(() => undefined);
    const [inst] = await web();
    return r && inst?.handle && inst.handle !== before.handle ? inst : undefined;
  }, 60_000);
  const took = Date.now() - t0;
  expect(next.handle).not.toBe(before.handle);
  await until('the hung container to be removed', async () => (exists(before.handle!) ? undefined : true), 30_000);
  return took;
}

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test' });
  await deployedFixture(mc, APP, 'node-limits');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('a hung container', () => {
  it('paused: replaced and serving within 15 s with the default health checks', async () => {
    const took = await replaced((id) => docker('pause', id));
    console.log(`a paused container: serving again after ${took} ms`);
    expect(took, `serving again ${took} ms after the pause`).toBeLessThan(15_000);
    expect((await mc.cli('ps', APP)).stdout).toMatch(/last: unhealthy/);
  });

  it('its app process SIGSTOPped inside: replaced and serving within 15 s', async () => {
    const { pid } = await ask('/'); // the server's pid inside the container (npm is its parent)
    const took = await replaced((id) => docker('exec', id, 'sh', '-c', `kill -STOP ${pid}`));
    console.log(`a SIGSTOPped app in a container: serving again after ${took} ms`);
    expect(took, `serving again ${took} ms after the SIGSTOP`).toBeLessThan(15_000);
  });

  it('an app answering slowly under load (its probes wait behind CPU-bound requests) is not restarted', async () => {
    const before = await serving();
    let slowest = 0;
    let stop = false;
    // 12 clients in a loop, each request 300 ms of CPU: a probe waits several seconds, past its 2 s timeout.
    const client = async () => {
      while (!stop) {
        const t = Date.now();
        await ask('/work?ms=300', 60_000).catch(() => {});
        slowest = Math.max(slowest, Date.now() - t);
      }
    };
    const clients = Array.from({ length: 12 }, client);
    await new Promise((r) => setTimeout(r, 20_000)); // far longer than 2 probes 2 s apart
    stop = true;
    await Promise.all(clients);
    expect(slowest, 'requests under load waited longer than a probe may').toBeGreaterThan(2000);
    const after = await web();
    expect(after.map((i) => [i.handle, i.restarts]), mc.output().split('\n').filter((l) => l.includes(APP)).join('\n')).toEqual([[before.handle, before.restarts]]);
  });
});
