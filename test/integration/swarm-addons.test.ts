// Add-ons on a swarm (issue 22): the shared PostgreSQL and Redis servers stay on the host (the manager's side of the
// private network); an app scaled to two instances, one on each node, reads and writes both add-ons from each, the
// worker's tasks reaching the servers over the private network at the address MINICLOUD_<KIND>_APP_HOST gives apps.
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRelay, type Relay } from '../helpers/relay.ts';
import { SERVICES_ENV, setupOrFailEach } from '../helpers/services.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';

let swarm: Swarm;
let redis: TestRedis;
let mc: Minicloud;
const relays: Relay[] = [];
const APP = 'swa-notes';
const IMAGE = `swa-notes:${Date.now()}`;

const web = async () => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');

/** The add-on fixture as a published image, its npm dependencies installed on the tests' engine (the swarm's nodes reach no npm registry). */
function buildImage(): void {
  const dir = mkdtempSync(join(tmpdir(), 'swa-image-'));
  try {
    cpSync(new URL('../fixtures/apps/node-addons/', import.meta.url).pathname, dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE=minicloud/node\nFROM ${BASE_IMAGE}\nWORKDIR /app\nCOPY package.json server.js ./\n'
      + 'RUN npm install --omit=dev --no-audit --no-fund\nCMD ["node", "server.js"]\n');
    docker('build', '-q', '--build-arg', `BASE_IMAGE=${process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node'}`, '-t', IMAGE, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

setupOrFailEach(async () => {
  buildImage();
  swarm = await startSwarm({ nodes: 2 });
  swarm.loadImage(dockerHost(), IMAGE);
  // The test's servers listen on loopback; an operator's would listen on the private network: a relay on the host's
  // address there stands in for that.
  for (const variable of ['MINICLOUD_POSTGRES_URL', 'MINICLOUD_REDIS_ADDON_URL']) {
    relays.push(await startRelay(swarm.hostIp, Number(new URL(SERVICES_ENV[variable]!).port)));
  }
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_POSTGRES_URL: SERVICES_ENV.MINICLOUD_POSTGRES_URL!, MINICLOUD_REDIS_ADDON_URL: SERVICES_ENV.MINICLOUD_REDIS_ADDON_URL!,
    MINICLOUD_POSTGRES_APP_HOST: relays[0]!.appHost, MINICLOUD_REDIS_ADDON_APP_HOST: relays[1]!.appHost,
    MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, MINICLOUD_SWARM_REGISTRY: swarm.registry,
    MINICLOUD_DOCKER_NETWORK: 'mc-swa-test', MINICLOUD_HEALTH_INTERVAL: '1',
  });
}, ['postgres', 'redis']);

afterAll(async () => {
  await mc?.stop(); // destroys the app, and with it its add-ons on the shared servers
  await redis?.stop();
  await swarm?.down();
  for (const r of relays) await r.close();
  try { docker('rmi', '-f', IMAGE); } catch { /* gone */ }
});

describe('add-ons on a swarm', () => {
  it('an app with a PostgreSQL and a Redis add-on, one instance on each node: each reads and writes both', async () => {
    expect((await mc.cli('apps:create', APP)).code).toBe(0);
    for (const kind of ['postgres', 'redis']) {
      const r = await mc.cli('addons:create', APP, kind);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const d = await mc.cli('deploy', APP, '--image', IMAGE);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect((await mc.cli('ps:scale', APP, 'web=2')).code).toBe(0);
    const up = await until('a web instance on each node', async () => {
      const w = await web();
      return w.length === 2 && new Set(w.map((i) => i.host)).size === 2 ? w : undefined;
    });
    expect(up.map((i) => i.host).sort()).toEqual(swarm.nodes.map((n) => n.ip).sort());
    const want = new Set(up.map((i) => `web.${i.id.slice(0, 8)}`));
    for (const kind of ['postgres', 'redis']) {
      const answered = new Map<string, Record<string, unknown>>();
      await until(`a ${kind} answer from each instance through the router`, async () => {
        const r = await get(mc.httpPort, `${APP}.localhost`, `/${kind}`);
        const body = JSON.parse(r.body) as Record<string, unknown>;
        expect(r.status, r.body).toBe(200);
        if (want.has(String(body.instance))) answered.set(String(body.instance), body);
        return answered.size === want.size ? true : undefined;
      });
      for (const body of answered.values()) {
        expect(body, kind).toMatchObject({ ok: true });
        if (kind === 'postgres') expect(body.read).toBe(body.wrote);
      }
    }
  });
});
