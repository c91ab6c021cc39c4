// A swarm's nodes (issue 22): `minicloud nodes` lists the real two-node swarm (test/helpers/swarm.ts) with the apps on
// each, `nodes:add` prints the worker join command, `nodes:drain` moves a node's instances off it under continuous
// requests with none failing, an app with storage keeps the manager from being drained, `nodes:remove` takes a
// drained worker out; readers see the nodes, only admins change them. Config vars reach the tasks from Swarm secrets;
// an app with storage stays on its volume's node, updated stop-first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance, NodeInfo } from '../../src/core/index.ts';
import { dockerHost } from '../helpers/docker.ts';
import { load } from '../helpers/load.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { ownRegistry, type OwnRegistry } from '../helpers/own-registry.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm, type SwarmNode } from '../helpers/swarm.ts';

let swarm: Swarm;
let redis: TestRedis;
let mc: Minicloud;
let own: OwnRegistry;
let a: SwarmNode;
let b: SwarmNode;
const APP = 'nd-web';
const HOST = `${APP}.localhost`;

const up = async (app = APP) => (await mc.api<Instance[]>('GET', `/api/apps/${app}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');
const nodes = async () => (await mc.api<NodeInfo[]>('GET', '/api/nodes')).body;
const nodeOf = async (n: SwarmNode) => (await nodes()).find((x) => x.address === n.ip) as NodeInfo;
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

beforeAll(async () => {
  swarm = await startSwarm({ nodes: 2 });
  [a, b] = swarm.nodes as [SwarmNode, SwarmNode];
  const base = process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node';
  dockerHost(); // points the buildpacks at the local base images
  swarm.loadImage(dockerHost(), base);
  const fixture = new URL('../fixtures/runtime-contract/', import.meta.url).pathname;
  swarm.manager.docker('build', '-q', '--build-arg', `BASE_IMAGE=${base}`, '-t', 'nd-shop:1.0', fixture);
  redis = await startRedis();
  own = await ownRegistry(swarm);
  mc = await startMinicloud(redis.url, {
    // minicloud's own registry, as users get it: every move to another node pulls from it.
    MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, ...own.env,
    MINICLOUD_DOCKER_NETWORK: 'mc-nodes-test', MINICLOUD_HEALTH_INTERVAL: '1', MINICLOUD_DRAIN_TIMEOUT: '3',
  });
  for (const app of [APP, 'nd-data']) {
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    if (app === 'nd-data') expect((await mc.cli('storage:add', app, '/data')).code).toBe(0);
    const r = await mc.cli('deploy', app, '--image', 'nd-shop:1.0');
    expect(r.code, out(r)).toBe(0);
  }
  expect((await mc.cli('ps:scale', APP, 'web=4')).code).toBe(0);
  await until('two web instances on each node', async () => {
    const hosts = (await up()).map((i) => i.host);
    return hosts.length === 4 && hosts.filter((h) => h === a.ip).length === 2 ? true : undefined;
  });
});

afterAll(async () => {
  await own?.stop(mc);
  await redis?.stop();
  await swarm?.down();
});

describe('config vars on a swarm', () => {
  const VALUE = `it's $(id) "q" \`x\` \${HOME} pw-${Math.random().toString(36).slice(2)}`;
  const ids = (...args: string[]) => swarm.manager.docker(...args, '--filter', `label=minicloud.app=${APP}`, '-q').split('\n').filter(Boolean);

  it('reach the app from a Swarm secret of each service\'s own: `docker service inspect` shows no value, the secrets go with their services', async () => {
    const r = await mc.cli('config:set', APP, `GREETING=${VALUE}`);
    expect(r.code, out(r)).toBe(0);
    await until('the app to see the value', async () => (JSON.parse((await get(mc.httpPort, HOST, '/env')).body).greeting === VALUE ? true : undefined));
    await until('the old release\'s services gone', async () => (ids('service', 'ls').length === 4 ? true : undefined));
    const inspect = swarm.manager.docker('service', 'inspect', ...ids('service', 'ls'));
    expect(inspect).not.toContain(VALUE.slice(-12));
    expect(inspect).not.toContain('GREETING');
    expect(inspect).toContain('/run/secrets/minicloud-env');
    expect(swarm.manager.docker('secret', 'inspect', ...ids('secret', 'ls'))).not.toContain(VALUE.slice(-12));
    await until('one secret per service, the old ones removed', async () => (ids('secret', 'ls').length === 4 ? true : undefined));
  });
});

describe('an app with storage on a swarm', () => {
  it('stays on the node holding its volume across redeploys, updated stop-first (never two instances at once), said in the push output and in ps', async () => {
    const DATA = 'nd-data.localhost';
    expect((await get(mc.httpPort, DATA, '/write')).body).toBe('written');
    const services = () => swarm.manager.docker('service', 'ls', '--filter', 'label=minicloud.app=nd-data', '-q').split('\n').filter(Boolean).length;
    let most = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        most = Math.max(most, services());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const traffic = load(mc.httpPort, DATA, 1);
    const r = await mc.cli('deploy', 'nd-data', '--image', 'nd-shop:1.0');
    const result = await traffic.stop();
    watching = false;
    await watch;
    console.log(`stop-first redeploy of an app with storage: ${result.total} requests, ${result.failures.length} failed (${[...new Set(result.failures)].join('; ')})`);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain('nd-data has storage: its running instances stop before v2 starts (stop-first), so two never write its volume at once');
    expect(most).toBe(1);
    expect(result.failures.every((f) => f.startsWith('503'))).toBe(true); // held while it starts, at worst refused: never a broken answer
    const hosts = (await up('nd-data')).map((i) => i.host);
    expect(hosts).toEqual([a.ip]);
    expect((await get(mc.httpPort, DATA, '/read')).body).toMatch(/^written by web\./);
    const ps = await mc.cli('ps', 'nd-data');
    expect(ps.stdout).toContain(`Pinned to the node holding its storage (/data): ${a.ip}; deploys stop it before starting the new release`);
  });
});

describe('minicloud nodes', () => {
  it('lists each node: name, address, role, state, availability, memory, and the apps on it', async () => {
    const r = await mc.cli('nodes');
    expect(r.code, out(r)).toBe(0);
    const row = (n: SwarmNode) => r.stdout.split('\n').find((l) => l.startsWith(`${n.name} `)) ?? '';
    expect(r.stdout).toMatch(/^NAME\s+ADDRESS\s+ROLE\s+STATE\s+AVAILABILITY\s+MEMORY \(LIMITS\)\s+APPS$/m);
    expect(row(a)).toMatch(new RegExp(`^${a.name}\\s+${a.ip.replaceAll('.', '\\.')}\\s+manager \\(minicloud\\)\\s+ready\\s+active\\s+\\S+ [KMG]?B of \\S+ GB\\s+`));
    expect(row(a)).toContain(`${APP} (web×2)`);
    expect(row(a)).toContain('nd-data (web; storage)'); // its storage is on the manager, which it is pinned to
    expect(row(b)).toMatch(new RegExp(`^${b.name}\\s+${b.ip.replaceAll('.', '\\.')}\\s+worker\\s+ready\\s+active\\s+`));
    expect(row(b)).toContain(`${APP} (web×2)`);
    expect(row(b)).not.toContain('nd-data');
    const json = JSON.parse((await mc.cli('nodes', '--json')).stdout) as NodeInfo[];
    const wb = json.find((n) => n.name === b.name)!;
    expect(wb.instances.map((i) => i.app)).toEqual([APP, APP]);
    expect(wb.memoryLimitsBytes).toBe(2 * 512 * 1024 * 1024); // two instances at the default 512 MiB limit
  });

  it('nodes:add prints the worker join command with the manager\'s private address; the token is in no log', async () => {
    const r = await mc.cli('nodes:add');
    expect(r.code, out(r)).toBe(0);
    const token = swarm.manager.docker('swarm', 'join-token', '-q', 'worker');
    expect(r.stdout).toContain(`docker swarm join --token ${token} ${a.ip}:2377`);
    expect(r.stdout).toContain('7946/tcp+udp and 4789/udp');
    // Before the join: the new node's Docker trusts minicloud's registry (its CA at Docker's certs.d path).
    expect(r.stdout.indexOf(`mkdir -p /etc/docker/certs.d/${own.host}`)).toBeGreaterThan(-1);
    expect(r.stdout.indexOf(`mkdir -p /etc/docker/certs.d/${own.host}`)).toBeLessThan(r.stdout.indexOf('docker swarm join'));
    expect(r.stdout).toContain('-----BEGIN CERTIFICATE-----');
    expect(mc.output()).not.toContain(token);
  });

  it('lets a read token list the nodes, and nothing else', async () => {
    const made = await mc.cli('tokens:create', 'nd-viewer', '--role', 'read');
    const secret = /^\s+(mc_\S+)$/m.exec(made.stdout)![1]!;
    expect((await mc.cliAs(secret, 'nodes')).code).toBe(0);
    for (const args of [['nodes:add'], ['nodes:drain', b.name], ['nodes:remove', b.name], ['nodes:activate', b.name]]) {
      const r = await mc.cliAs(secret, ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/admin/i);
      expect(r.stdout).not.toContain('docker swarm join');
    }
    expect((await nodeOf(b)).availability).toBe('active');
  });

  it('refuses what cannot be done, changing nothing: an unknown node, the manager holding storage, removing a node in use', async () => {
    const unknown = await mc.cli('nodes:drain', 'no-such-node');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('the swarm has no node "no-such-node"');
    expect(unknown.stderr).toContain(b.name);
    const bad = await mc.api('POST', '/api/nodes/..%2Fetc/drain');
    expect(bad.status).toBe(400);
    const manager = await mc.cli('nodes:drain', a.name);
    expect(manager.code).not.toBe(0);
    expect(manager.stderr).toContain(`${a.name} holds the storage of nd-data`);
    expect((await nodeOf(a)).availability).toBe('active');
    const busy = await mc.cli('nodes:remove', b.name);
    expect(busy.stderr).toContain(`${b.name} is not drained: 2 instance(s) run there`);
    expect((await mc.cli('nodes:remove', a.name)).stderr).toContain('is the manager minicloud runs on');
  });

  it('nodes:drain moves every instance off the node under continuous requests, with zero failed', async () => {
    const traffic = load(mc.httpPort, HOST);
    const t0 = performance.now();
    const r = await mc.cli('nodes:drain', b.name);
    const tookS = (performance.now() - t0) / 1000;
    await new Promise((res) => setTimeout(res, 1000)); // and after it
    const result = await traffic.stop();
    console.log(`drain of ${b.name} (2 web instances): ${tookS.toFixed(1)} s; ${result.total} requests, ${result.failures.length} failed`);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout.match(new RegExp(`moved ${APP} web\\.[0-9a-f]{8} off ${b.name} \\(now on ${a.ip.replaceAll('.', '\\.')}\\)`, 'g'))).toHaveLength(2);
    expect(r.stdout).toContain(`${b.name} drained: 2 instance(s) moved`);
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(50);
    const hosts = (await up()).map((i) => i.host);
    expect(hosts).toEqual([a.ip, a.ip, a.ip, a.ip]);
    const after = await nodeOf(b);
    expect(after.availability).toBe('drain');
    expect(after.instances).toEqual([]);
    expect(b.docker('ps', '-q')).toBe(''); // nothing left running on it
    expect((await get(mc.httpPort, HOST)).body).toBe('ok');
  });

  it('places nothing new on a drained node; nodes:activate takes it back', async () => {
    expect((await mc.cli('ps:scale', APP, 'web=5')).code).toBe(0);
    await until('five web instances', async () => ((await up()).length === 5 ? true : undefined));
    expect(new Set((await up()).map((i) => i.host))).toEqual(new Set([a.ip]));
    const r = await mc.cli('nodes:activate', b.name);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain(`${b.name} (${b.ip}) takes new instances again`);
    expect((await nodeOf(b)).availability).toBe('active');
    expect((await mc.cli('ps:scale', APP, 'web=6')).code).toBe(0);
    await until('the sixth instance on the activated node', async () => ((await up()).some((i) => i.host === b.ip) ? true : undefined));
  });

  it('nodes:remove takes a drained worker out of the swarm', async () => {
    const drained = await mc.cli('nodes:drain', b.name);
    expect(drained.code, out(drained)).toBe(0);
    const r = await mc.cli('nodes:remove', b.name);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain(`Removed ${b.name} (${b.ip}) from the swarm`);
    expect(swarm.manager.docker('node', 'ls', '--format', '{{.Hostname}}')).toBe(a.name);
    expect((await nodes()).map((n) => n.name)).toEqual([a.name]);
    expect((await up()).length).toBe(6);
    expect((await get(mc.httpPort, HOST)).body).toBe('ok');
  });
});
