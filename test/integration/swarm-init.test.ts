// `minicloud swarm:init` (issue 22): a single server on the Docker runtime, its engine in a network namespace of its own
// (test/helpers/swarm.ts, one node, not yet a swarm), becomes a one-node swarm in place. Two apps run (one with two
// web instances and a custom domain, one with a volume), continuous requests go to both through the router while
// swarm:init moves them to Swarm services: none fails. Afterwards their services run, no container of theirs is left,
// ps and status say Swarm, the volume's data is still there, a redeploy works, a restart keeps the runtime (and
// refuses MINICLOUD_RUNTIME=docker); an app asleep meanwhile wakes as a service. Refused: during a deploy, a second
// swarm:init, and on host processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { load, type LoadResult } from '../helpers/load.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm, type SwarmNode } from '../helpers/swarm.ts';

let swarm: Swarm;
let node: SwarmNode;
let redis: TestRedis;
let mc: Minicloud;
const WEB = 'si-web';
const DATA = 'si-data';
const NAP = 'si-nap';
const DOMAIN = 'si-web.example.test';
const IMAGE = 'si-shop:1.0';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
const up = async (app: string) => (await mc.api<Instance[]>('GET', `/api/apps/${app}/ps`)).body.filter((i) => i.state === 'up');
const lines = (text: string) => text.split('\n').filter(Boolean);
/** The app's services on the engine, and its containers that are no Swarm task (the Docker runtime's). */
const services = (app: string) => lines(node.docker('service', 'ls', '--filter', `label=minicloud.app=${app}`, '--format', '{{.ID}}'));
const containers = (app: string) => lines(node.docker('ps', '-a', '--filter', `label=minicloud.app=${app}`, '--format', '{{.ID}} {{.Label "com.docker.swarm.service.id"}}'))
  .filter((l) => l.trim().split(' ').length === 1);
const parked = (app: string) => lines(node.docker('ps', '-a', '--filter', `label=minicloud.app=${app}`, '--filter', 'label=minicloud.parked', '--format', '{{.ID}}'));
const report = (what: string, r: LoadResult) => `${what}: ${r.total} requests, ${r.failures.length} failed${r.failures.length ? ` (${[...new Set(r.failures)].slice(0, 5).join('; ')})` : ''}`;

beforeAll(async () => {
  swarm = await startSwarm({ nodes: 1, form: false });
  node = swarm.manager;
  const base = process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node';
  swarm.loadImage(dockerHost(), base);
  node.docker('build', '-q', '--build-arg', `BASE_IMAGE=${base}`, '-t', IMAGE, new URL('../fixtures/runtime-contract/', import.meta.url).pathname);
  redis = await startRedis();
  // No MINICLOUD_RUNTIME: Docker, since the engine answers (and later whatever swarm:init recorded).
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: '', DOCKER_HOST: node.dockerHost, MINICLOUD_DOCKER_NETWORK: 'mc-si-test', MINICLOUD_HEALTH_INTERVAL: '1', MINICLOUD_DRAIN_TIMEOUT: '2',
  });
  for (const app of [WEB, DATA, NAP]) {
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    if (app === DATA) expect((await mc.cli('storage:add', app, '/data')).code).toBe(0);
    const r = await mc.cli('deploy', app, '--image', IMAGE);
    expect(r.code, out(r)).toBe(0);
  }
  expect((await mc.cli('ps:scale', WEB, 'web=2')).code).toBe(0);
  expect((await mc.cli('domains:add', WEB, DOMAIN)).code).toBe(0);
  await until('two web instances of si-web', async () => ((await up(WEB)).length === 2 ? true : undefined));
  expect((await get(mc.httpPort, `${DATA}.localhost`, '/write')).body).toBe('written');
  // Asleep on Docker: its container parked (made and started, the command held back) for the wake.
  expect((await mc.api<{ state: string }>('PUT', `/api/apps/${NAP}/sleep`, { now: true })).body.state).toBe('sleeping');
  await until('si-nap parked', async () => (parked(NAP).length === 1 ? true : undefined));
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  // The trust minicloud's registry wrote for this server's Docker once the restart brought it up (port 5000 there).
  if (swarm) rmSync(`/etc/docker/certs.d/${swarm.hostIp}:5000`, { recursive: true, force: true });
  await swarm?.down();
});

describe('minicloud swarm:init', () => {
  it('is refused while a deploy is being built or released, changing nothing', async () => {
    const SLOW = 'si-slow';
    expect((await mc.cli('apps:create', SLOW)).code).toBe(0);
    const repo = fixtureRepo('node-procs');
    writeFileSync(join(repo, 'Procfile'), 'web: node server.js\nrelease: sleep 10\n');
    commitAll(repo, 'a slow release phase');
    const pushed = push(repo, mc.gitUrl(SLOW));
    await until('the push to be building or releasing', async () => {
      const d = (await mc.api<Array<{ status: string }>>('GET', `/api/apps/${SLOW}/deploys`)).body[0];
      return d && (d.status === 'building' || d.status === 'releasing') ? true : undefined;
    });
    const r = await mc.cli('swarm:init');
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain(`a deploy of ${SLOW} is under way`);
    expect(node.docker('info', '--format', '{{.Swarm.LocalNodeState}}')).toBe('inactive');
    expect((await pushed).code).toBe(0);
    expect((await mc.cli('apps:destroy', SLOW, '--confirm', SLOW)).code).toBe(0);
  });

  it('moves every running app from containers to Swarm services with no failed request', async () => {
    expect((await mc.cli('status')).stdout).toMatch(/Runtime: +Docker \d/);
    expect(containers(WEB)).toHaveLength(2);
    const web = load(mc.httpPort, `${WEB}.localhost`, 2);
    const custom = load(mc.httpPort, DOMAIN, 1);
    const data = load(mc.httpPort, `${DATA}.localhost`, 1);
    const t0 = performance.now();
    const r = await mc.cli('swarm:init', '--advertise-addr', node.ip);
    const seconds = (performance.now() - t0) / 1000;
    const [w, c, d] = await Promise.all([web.stop(), custom.stop(), data.stop()]);
    console.log(`swarm:init moved 3 instances of 2 apps in ${seconds.toFixed(1)} s; ${report('si-web', w)}; ${report('custom domain', c)}; ${report('si-data (stop-first)', d)}`);
    console.log(r.stdout);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain(`this server's Docker engine is now a one-node swarm, its manager reachable at ${node.ip}:2377`);
    expect(r.stdout).toMatch(/3 instance\(s\) of 2 app\(s\) moved in [\d.]+ s/);
    expect(r.stdout).toContain(`moved ${DATA} (1 instance(s), stop-first: it has storage)`);
    for (const x of [w, c, d]) expect(x.failures).toEqual([]);
    expect(w.total + c.total + d.total).toBeGreaterThan(20);
    expect(node.docker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')).toBe('active true');
    const audit = (await mc.api<Array<{ action: string }>>('GET', '/api/audit?n=50')).body;
    expect(audit.map((e) => e.action)).toContain('swarm:init');
  });

  it('leaves services and no container of the apps; ps and status say Swarm; the volume kept its data', async () => {
    expect(services(WEB)).toHaveLength(2);
    expect(services(DATA)).toHaveLength(1);
    await until('no container of the Docker runtime left', async () => (containers(WEB).length + containers(DATA).length === 0 ? true : undefined));
    // Served by the tasks' ports on the node's address, no longer by containers' own addresses.
    expect([...(await up(WEB)), ...(await up(DATA))].map((i) => i.host)).toEqual([node.ip, node.ip, node.ip]);
    const ps = await mc.cli('ps', WEB);
    expect(ps.stdout).toContain('Runtime: Docker Swarm');
    expect((await mc.cli('status')).stdout).toMatch(/Runtime: +Docker Swarm \d/);
    expect((await get(mc.httpPort, `${DATA}.localhost`, '/read')).body).toMatch(/^written by web\./);
    expect((await get(mc.httpPort, DOMAIN)).status).toBe(200);
  });

  it('wakes an app that slept through it as a Swarm service (its parked container gone)', async () => {
    expect(parked(NAP)).toEqual([]);
    expect(services(NAP)).toEqual([]);
    const r = await get(mc.httpPort, `${NAP}.localhost`);
    expect(r.status, r.body).toBe(200);
    expect(services(NAP)).toHaveLength(1);
    expect(containers(NAP)).toEqual([]);
  });

  it('refuses a second swarm:init, saying so', async () => {
    const r = await mc.cli('swarm:init');
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('this server is a swarm already');
    expect(out(r)).toContain('minicloud nodes');
  });

  it('says a registry is needed before a second node joins', async () => {
    const r = await mc.cli('nodes:add');
    expect(r.code).not.toBe(0);
    expect(out(r)).toContain('this swarm has no registry');
    expect(out(r)).toContain('MINICLOUD_SWARM_REGISTRY');
  });

  it('redeploys on the swarm with no failed request', async () => {
    const traffic = load(mc.httpPort, `${WEB}.localhost`, 2);
    const r = await mc.cli('deploy', WEB, '--image', IMAGE);
    const result = await traffic.stop();
    console.log(`redeploy after swarm:init: ${report('si-web', result)}`);
    expect(r.code, out(r)).toBe(0);
    expect(result.failures).toEqual([]);
    await until('the old release\'s services gone', async () => (services(WEB).length === 2 ? true : undefined));
    expect(containers(WEB)).toEqual([]);
  });

  it('keeps the runtime across a restart, and refuses MINICLOUD_RUNTIME=docker then', async () => {
    const before = new Set(services(WEB));
    await mc.restart();
    expect((await mc.cli('status')).stdout).toMatch(/Runtime: +Docker Swarm \d/);
    expect(mc.output()).toContain("images from minicloud's registry on"); // it runs one now, on the manager
    expect(new Set(services(WEB))).toEqual(before); // adopted, not started again
    expect((await get(mc.httpPort, `${WEB}.localhost`)).status).toBe(200);
    await expect(mc.restart({ MINICLOUD_RUNTIME: 'docker' })).rejects.toThrow(/MINICLOUD_RUNTIME=docker, but this server was made a swarm/);
    await mc.restart({ MINICLOUD_RUNTIME: '' });
    expect((await mc.cli('status')).stdout).toMatch(/Runtime: +Docker Swarm \d/);
  });

  it('adopts an engine that is a swarm manager already (another minicloud on Docker beside it)', async () => {
    const beside = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: node.dockerHost, MINICLOUD_DOCKER_NETWORK: 'mc-si-beside' });
    try {
      const r = await beside.cli('swarm:init');
      expect(r.code, out(r)).toBe(0);
      expect(r.stdout).toContain("this server's Docker engine is a swarm manager already");
      expect(r.stdout).toMatch(/0 instance\(s\) of 0 app\(s\) moved/);
      expect((await beside.cli('status')).stdout).toMatch(/Runtime: +Docker Swarm \d/);
    } finally {
      await beside.stop();
    }
  });

  it('is refused on host processes, saying what a swarm needs', async () => {
    const host = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'process' });
    try {
      const r = await host.cli('swarm:init');
      expect(r.code).not.toBe(0);
      expect(out(r)).toContain('this server runs apps as host processes: a swarm is made of Docker engines');
      const bad = await mc.cli('swarm:init', '--advertise-addr', '10.0.0.1; rm -rf /');
      expect(bad.code).not.toBe(0);
      expect(out(bad)).toContain('is not an address to advertise');
    } finally {
      await host.stop();
    }
  });
});
