// Swarm end to end (issue 22, slice 2): on a real two-node swarm (test/helpers/swarm.ts), `git push` builds on the
// manager and pushes to the swarm's registry, each instance runs as a service on any node, and the router on this
// host reaches each task directly on its node's published port; a redeploy under continuous requests fails none.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { load } from '../helpers/load.ts';
import { MINICLOUD_MAIN, startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';

let swarm: Swarm;
let redis: TestRedis;
let mc: Minicloud;
let repo: string;
const APP = 'sw-procs';
const HOST = `${APP}.localhost`;
// The registry asks for credentials, for pushes and pulls: every node pulls with the ones each service is made with.
const REGISTRY = { username: 'minicloud', password: `pw-${Math.random().toString(36).slice(2)}-registry` };

const serve = async () => JSON.parse((await get(mc.httpPort, HOST)).body) as { version: string; instance: string; migrated: string | null };
const web = async () => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');
const edit = (file: string, from: string, to: string) => {
  const path = join(repo, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
  writeFileSync(path, text.replace(from, to));
};
const services = () => swarm.manager.docker('service', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`mc-${APP}-`));

beforeAll(async () => {
  swarm = await startSwarm({ nodes: 2, registryAuth: REGISTRY });
  console.log(`swarm of 2 nodes formed, registry answering, in ${swarm.formedInS.toFixed(1)} s`);
  const engine = dockerHost(); // also points the buildpacks at the local base images
  swarm.loadImage(engine, process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node'); // the manager builds; nothing is pulled from outside
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, MINICLOUD_SWARM_REGISTRY: swarm.registry,
    MINICLOUD_SWARM_REGISTRY_USER: REGISTRY.username, MINICLOUD_SWARM_REGISTRY_PASSWORD: REGISTRY.password, MINICLOUD_DOCKER_NETWORK: 'mc-swarm-test', MINICLOUD_HEALTH_INTERVAL: '1',
  });
  repo = fixtureRepo('node-procs');
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  await swarm?.down();
});

describe('the swarm runtime, end to end', () => {
  it('refuses to start with a registry address that names none, or on an engine that is no swarm manager, saying what to do', () => {
    const start = (env: Record<string, string>) => {
      const data = mkdtempSync(join(tmpdir(), 'mc-swarm-refused-'));
      try {
        const r = spawnSync(process.execPath, [MINICLOUD_MAIN], {
          env: { ...process.env, MINICLOUD_DATA: data, REDIS_URL: redis.url, MINICLOUD_RUNTIME: 'swarm', ...env }, encoding: 'utf8', timeout: 120_000,
        });
        return { code: r.status, out: r.stdout + r.stderr };
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    };
    // Unset, minicloud runs its own (swarm-registry.test.ts); a value that names no registry is refused.
    const bad = start({ DOCKER_HOST: swarm.manager.dockerHost, MINICLOUD_SWARM_REGISTRY: 'http://reg:5000/x' });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('MINICLOUD_SWARM_REGISTRY=http://reg:5000/x is not a registry address');
    const plain = start({ DOCKER_HOST: dockerHost(), MINICLOUD_SWARM_REGISTRY: swarm.registry });
    expect(plain.code).not.toBe(0);
    expect(plain.out).toContain('MINICLOUD_RUNTIME=swarm, but this Docker engine is not part of a swarm');
    expect(plain.out).toContain('docker swarm init --advertise-addr');
  });

  it('says it runs on Docker Swarm', async () => {
    expect((await mc.cli('status')).stdout).toMatch(/Runtime: +Docker Swarm \d/);
  });

  it('deploys a git push: built on the manager, pushed to the registry, the release phase and every process type as services', async () => {
    const r = await push(repo, mc.gitUrl(APP));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`Pushing the image to the swarm's registry (${swarm.registry})`);
    expect(r.output).toContain('migrations done');
    expect(r.output).toContain('v1 is live');
    expect((await serve()).version).toBe('v1');
    const list = `http://${swarm.registry}/v2/minicloud/${APP}/tags/list`;
    expect((await fetch(list)).status).toBe(401); // no anonymous pulls
    const basic = `Basic ${Buffer.from(`${REGISTRY.username}:${REGISTRY.password}`).toString('base64')}`;
    const tags = await (await fetch(list, { headers: { authorization: basic } })).json() as { tags: string[] };
    expect(tags.tags).toContain('v1');
    expect(r.output).not.toContain(REGISTRY.password);
    expect(mc.output()).not.toContain(REGISTRY.password);
    expect(services().map((n) => n.replace(/-[0-9a-f]{8}$/, '')).sort()).toEqual([`mc-${APP}-web`, `mc-${APP}-worker`]);
  });

  it('ps:scale web=4 spreads four instances over both nodes, and the router reaches each task on its own node', async () => {
    const r = await mc.cli('ps:scale', APP, 'web=4');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await until('four web instances up', async () => ((await web()).length === 4 ? true : undefined));
    const up = await web();
    const perNode = swarm.nodes.map((n) => up.filter((i) => i.host === n.ip).length);
    expect(perNode, 'instances on each node').toEqual([2, 2]);
    expect(services().filter((n) => n.startsWith(`mc-${APP}-web-`))).toHaveLength(4);
    const seen = new Set<string>();
    await until('answers from all four instances through the router', async () => {
      seen.add((await serve()).instance);
      return seen.size === 4 ? true : undefined;
    });
  });

  it('redeploys four instances under continuous requests with zero failed', async () => {
    const traffic = load(mc.httpPort, HOST);
    edit('server.js', "const VERSION = 'v1'", "const VERSION = 'v2'");
    commitAll(repo, 'v2');
    const r = await push(repo, mc.gitUrl(APP));
    await until('v2 to serve', async () => ((await serve()).version === 'v2' ? true : undefined));
    const result = await traffic.stop();
    console.log(`redeploy of 4 web instances on the swarm: ${result.total} requests, ${result.failures.length} failed`);
    expect(r.code, r.output).toBe(0);
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(50);
    await until('the old release\'s services to be gone', async () => (services().length === 5 ? true : undefined));
    const up = await web();
    expect(up.map((i) => i.release)).toEqual([2, 2, 2, 2]);
    expect(new Set(up.map((i) => i.host)).size).toBe(2);
  });

  it('a release failing its health check: the push fails saying why, v2 keeps serving with zero failed requests', async () => {
    const traffic = load(mc.httpPort, HOST);
    edit('server.js', "const VERSION = 'v2'", "const VERSION = 'v3-broken'");
    edit('server.js', 'const HEALTHY = true', 'const HEALTHY = false');
    // Long enough for four instances to start listening on a loaded machine, so the failure is the 500, not the start
    writeFileSync(join(repo, 'cloud_manifest.yml'), 'healthcheck:\n  path: /health\n  timeout: 30\n');
    commitAll(repo, 'unhealthy');
    const r = await push(repo, mc.gitUrl(APP));
    const result = await traffic.stop();
    console.log(`unhealthy release on the swarm: ${result.total} requests, ${result.failures.length} failed`);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('v3 did not start: no HTTP answer on $PORT within 30 s (last: GET /health answered 500)');
    expect(r.output).toContain('v2 is still serving');
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(50);
    expect((await serve()).version).toBe('v2');
    await until('the failed release\'s services to be gone', async () => (services().length === 5 ? true : undefined));
    expect((await web()).map((i) => i.release)).toEqual([2, 2, 2, 2]);
  });

  it('a release that crashes at start: the push fails saying why, v2 keeps serving with zero failed requests', async () => {
    const traffic = load(mc.httpPort, HOST);
    edit('server.js', 'const HEALTHY = false', 'const HEALTHY = true');
    edit('server.js', "const VERSION = 'v3-broken'", "const VERSION = 'v4-crash';\nif (process.env.DYNO?.startsWith('web')) throw new Error('boom at start')");
    commitAll(repo, 'crashes');
    const r = await push(repo, mc.gitUrl(APP));
    const result = await traffic.stop();
    console.log(`crashing release on the swarm: ${result.total} requests, ${result.failures.length} failed`);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/v4 did not start|did not start on the swarm/);
    expect(r.output).toContain('v2 is still serving');
    expect(result.failures).toEqual([]);
    expect((await serve()).version).toBe('v2');
    await until('the failed release\'s services to be gone', async () => (services().length === 5 ? true : undefined));
  });

  it('deploys a published image too: tagged as a release, pushed to the registry, pulled by the other node', async () => {
    const fixture = new URL('../fixtures/runtime-contract/', import.meta.url).pathname;
    swarm.manager.docker('build', '-q', '--build-arg', `BASE_IMAGE=${process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node'}`, '-t', 'sw-shop:1.0', fixture);
    expect((await mc.cli('apps:create', 'sw-img')).code).toBe(0);
    const r = await mc.cli('deploy', 'sw-img', '--image', 'sw-shop:1.0');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain(`Pushing the image to the swarm's registry (${swarm.registry})`);
    expect((await mc.cli('ps:scale', 'sw-img', 'web=2')).code).toBe(0);
    const up = async () => (await mc.api<Instance[]>('GET', '/api/apps/sw-img/ps')).body.filter((i) => i.type === 'web' && i.state === 'up');
    await until('a web instance of the image on each node', async () => (new Set((await up()).map((i) => i.host)).size === 2 ? true : undefined));
    expect((await get(mc.httpPort, 'sw-img.localhost')).body).toBe('ok');
  });

  it('a node that dies outright: the router stops sending to its instances within 5 s, and they start again on the other node', async () => {
    const [a, b] = swarm.nodes as [typeof swarm.nodes[0], typeof swarm.nodes[0]];
    await until('web instances on each node', async () => (new Set((await web()).map((i) => i.host)).size === 2 ? true : undefined));
    const dead = (await web()).filter((i) => i.host === b.ip).map((i) => `${i.host}:${i.port}`);
    const traffic = load(mc.httpPort, HOST);
    await until('requests flowing', async () => (traffic.total() > 20 ? true : undefined));
    const killed = Date.now();
    swarm.killNode(b.name);
    // The router's own word, in the app's router log, each time it takes an instance out of rotation (one worker here).
    // Read from the files themselves: under this load thousands of access lines follow it within a second, past any
    // `logs -n` window a slow poll would read.
    const outAt = async () => {
      const file = (f: string) => { try { return readFileSync(join(mc.dataDir, 'logs', APP, f), 'utf8'); } catch { return ''; } };
      const log = (file('router.log.1') + file('router.log')).split('\n');
      return dead.map((u) => log.map((l) => /^(\S+) instance (\S+) out of rotation/.exec(l)).find((m) => m?.[2] === u && Date.parse(m[1]!) >= killed - 50)?.[1]);
    };
    // Or minicloud drops the instance from the routes first (the manager saw the node down before a probe failed):
    // then the router has no word to say about it, and the moment it is no longer up is when requests stop going there.
    const left = new Map<string, number>();
    const out = await until('the router to take every instance of the dead node out of rotation', async () => {
      const at = await outAt();
      const up = new Set((await web()).map((i) => `${i.host}:${i.port}`));
      for (const u of dead) if (!up.has(u) && !left.has(u)) left.set(u, Date.now() - killed);
      const each = dead.map((u, i) => (at[i] ? Date.parse(at[i]!) - killed : left.get(u)));
      return each.every((ms) => ms !== undefined) ? (each as number[]) : undefined;
    });
    await until('all four web instances up on the surviving node', async () => {
      const up = await web();
      return up.length === 4 && up.every((i) => i.host === a.ip) ? true : undefined;
    });
    const movedS = (Date.now() - killed) / 1000;
    const before = await traffic.stop();
    const steady = load(mc.httpPort, HOST); // from now on, nothing may fail
    await until('requests flowing again', async () => (steady.total() > 50 ? true : undefined));
    const after = await steady.stop();
    console.log(`node killed: the router took its ${dead.length} web instances out of rotation after ${out.map((ms) => (ms / 1000).toFixed(2)).join(' s, ')} s; `
      + `serving again on the other node after ${movedS.toFixed(1)} s; meanwhile ${before.failures.length} of ${before.total} requests failed (${before.failures.join('; ')})`);
    // Past that moment no request goes to the dead node: the router skips an instance it took out until a probe reaches it.
    expect(Math.max(...out)).toBeLessThanOrEqual(5000);
    // Only a request already sent to the dead node when it died may fail (sent once, never again elsewhere): at most one per client.
    expect(before.failures.length).toBeLessThanOrEqual(2);
    expect(after.failures).toEqual([]);
  });

  it('the node comes back: it rejoins, `nodes` shows it ready, and new instances land on it again', async () => {
    const b = swarm.nodes[1]!;
    await swarm.restartNode(b.name);
    await until('the node to be ready again', async () => {
      const r = await mc.cli('nodes');
      const row = r.stdout.split('\n').find((l) => l.startsWith(`${b.name} `)) ?? '';
      return /\sready\s+active\s/.test(row) ? row : undefined;
    });
    expect((await mc.cli('ps:scale', APP, 'web=6')).code).toBe(0);
    const there = await until('new web instances on the node that came back', async () => {
      const up = await web();
      return up.length === 6 && up.some((i) => i.host === b.ip) ? up.filter((i) => i.host === b.ip) : undefined;
    });
    const names = new Set(there.map((i) => `web.${i.id.slice(0, 8)}`));
    const seen = new Set<string>();
    await until('answers through the router from the instances on the node that came back', async () => {
      const got = (await serve()).instance;
      if (names.has(got)) seen.add(got);
      return seen.size === names.size ? true : undefined;
    });
  });
});
