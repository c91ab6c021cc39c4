// Swarm with minicloud's own registry (issue 22): no MINICLOUD_SWARM_REGISTRY, so minicloud runs Debian's
// docker-registry on the manager's private address itself: TLS with its own CA (the nodes trust it through the lines
// `nodes:add` prints; no insecure-registries), a generated password, builds pushed there, the worker pulls with the
// credentials each service carries. Old releases' manifests go as releases are pruned and their layers at
// `minicloud prune`; the kept releases still pull. A crash and a restart of minicloud keep registry, data, password.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/index.ts';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { ownRegistry, type OwnRegistry } from '../helpers/own-registry.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';

let swarm: Swarm;
let redis: TestRedis;
let mc: Minicloud;
let repo: string;
let own: OwnRegistry;
let host: string; // the registry's host:port
const APP = 'sw-ownreg';
const HOST = `${APP}.localhost`;

const file = (name: string) => join(mc.dataDir, 'registry', name);
const ca = () => readFileSync(file('ca.crt'), 'utf8');
const password = () => readFileSync(file('password'), 'utf8').trim();
const registryPid = () => Number(readFileSync(file('registry.pid'), 'utf8'));

/** A request to the registry over TLS, trusting minicloud's CA; `auth` as user:password. */
function registry(method: string, path: string, auth?: string, headers: Record<string, string> = {}): Promise<{ status: number; digest?: string }> {
  const [h, port] = [host.split(':')[0], Number(host.split(':')[1])];
  return new Promise((resolve, reject) => {
    const req = request({
      hostname: h, port, path, method, ca: ca(), timeout: 10_000,
      headers: { ...headers, ...(auth && { authorization: `Basic ${Buffer.from(auth).toString('base64')}` }) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, digest: res.headers['docker-content-digest'] as string | undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
const manifest = (tag: string) => registry('HEAD', `/v2/minicloud/${APP}/manifests/${tag}`, `minicloud:${password()}`, { accept: 'application/vnd.docker.distribution.manifest.v2+json' });
const storageBytes = () => Number(execFileSync('du', ['-sb', file('storage')], { encoding: 'utf8' }).split(/\s/)[0]);
const serve = async () => JSON.parse((await get(mc.httpPort, HOST)).body) as { version: string };
const web = async () => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body.filter((i) => i.type === 'web' && i.state === 'up');

/** A release with two megabytes of its own (a layer no other release shares), serving `version`. */
async function deploy(version: string): Promise<void> {
  const server = join(repo, 'server.js');
  writeFileSync(server, readFileSync(server, 'utf8').replace(/const VERSION = '[^']*'/, `const VERSION = '${version}'`));
  writeFileSync(join(repo, 'ballast.bin'), randomBytes(2 << 20));
  commitAll(repo, version);
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`Pushing the image to the swarm's registry (${host})`);
  expect(r.output).not.toContain(password());
}

beforeAll(async () => {
  swarm = await startSwarm({ nodes: 2 });
  swarm.loadImage(dockerHost(), process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node');
  redis = await startRedis();
  own = await ownRegistry(swarm);
  host = own.host;
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'swarm', DOCKER_HOST: swarm.manager.dockerHost, ...own.env,
    MINICLOUD_DOCKER_NETWORK: 'mc-ownreg-test', MINICLOUD_HEALTH_INTERVAL: '1', MINICLOUD_KEEP_IMAGES: '2',
  });
  repo = fixtureRepo('node-hello');
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
});

afterAll(async () => {
  await own?.stop(mc);
  await redis?.stop();
  await swarm?.down();
});

describe("minicloud's own swarm registry", () => {
  it('runs on the manager\'s private address with TLS and a generated password, which stays out of argv and logs', async () => {
    expect(mc.output()).toContain(`images from minicloud's registry on ${host}`);
    for (const f of ['password', 'htpasswd', 'ca.key', 'tls.key', 'config.yml']) expect(statSync(file(f)).mode & 0o077, f).toBe(0);
    expect((await registry('GET', '/v2/')).status).toBe(401);
    expect((await registry('GET', '/v2/', 'minicloud:wrong-password')).status).toBe(401);
    expect((await registry('GET', `/v2/minicloud/${APP}/tags/list`, `minicloud:${password()}x`)).status).toBe(401);
    expect((await registry('GET', '/v2/', `minicloud:${password()}`)).status).toBe(200);
    expect(password().length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(`/proc/${registryPid()}/cmdline`, 'utf8')).not.toContain(password());
    expect(mc.output()).not.toContain(password());
    // Plain HTTP gets no registry: the nodes speak TLS to it or nothing.
    const plain = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
    expect(plain).not.toBe(200);
  });

  it("nodes:add prints the lines that make a node's Docker trust the registry's CA, before the join command", async () => {
    const r = await mc.cli('nodes:add');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((l) => l.includes(`mkdir -p /etc/docker/certs.d/${host}`));
    const end = lines.indexOf('EOF', start);
    expect(start, r.stdout).toBeGreaterThan(-1);
    expect(lines.findIndex((l) => l.includes('docker swarm join --token'))).toBeGreaterThan(end);
    // Run as printed, on a node that has no trust yet (every node of this test swarm shares this host's /etc).
    rmSync(`/etc/docker/certs.d/${host}`, { recursive: true, force: true });
    const sh = spawnSync('sh', ['-e'], { input: lines.slice(start, end + 1).join('\n') + '\n', encoding: 'utf8' });
    expect(sh.status, sh.stderr).toBe(0);
    expect(readFileSync(`/etc/docker/certs.d/${host}/ca.crt`, 'utf8')).toBe(ca());
  });

  it('a git push pushes there, and the worker node pulls with the credentials each service carries', async () => {
    await deploy('v1');
    expect((await serve()).version).toBe('v1');
    expect((await mc.cli('ps:scale', APP, 'web=2')).code).toBe(0);
    await until('a web instance on each node', async () => (new Set((await web()).map((i) => i.host)).size === 2 ? true : undefined));
    expect((await serve()).version).toBe('v1');
    const specs = swarm.manager.docker('service', 'inspect', ...swarm.manager.docker('service', 'ls', '-q').split('\n'));
    expect(specs).not.toContain(password());
    expect(swarm.nodes[1]!.docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}')).toContain(`${host}/minicloud/${APP}:v1`);
  });

  it('an app name or tag cannot leave minicloud\'s namespace in the registry', async () => {
    for (const name of ['../sw-x', 'minicloud/sw-x', 'sw-x/../../y', 'SW-X']) {
      const r = await mc.cli('apps:create', name);
      expect(r.code, name).not.toBe(0);
    }
    const cat = await new Promise<string[]>((resolve, reject) => {
      const [h, port] = host.split(':');
      request({ hostname: h, port: Number(port), path: '/v2/_catalog', ca: ca(), headers: { authorization: `Basic ${Buffer.from(`minicloud:${password()}`).toString('base64')}` } }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve((JSON.parse(body) as { repositories: string[] }).repositories));
      }).on('error', reject).end();
    });
    expect(cat).toEqual([`minicloud/${APP}`]);
  });

  it('deploys past the kept count: old manifests deleted, prune shrinks the registry, the kept releases still pull', async () => {
    await deploy('v2');
    await deploy('v3');
    expect((await serve()).version).toBe('v3');
    // MINICLOUD_KEEP_IMAGES=2: v3 and v2 are kept; v1's manifest went when the deploy pruned the app's images.
    await until("v1's manifest deleted from the registry", async () => ((await manifest('v1')).status === 404 ? true : undefined));
    expect((await manifest('v2')).status).toBe(200);
    expect((await manifest('v3')).status).toBe(200);
    const before = storageBytes();
    // Pulls meanwhile: the registry is read-only while it collects, not down (a figure for the README, not a bound).
    const polls = { ok: 0, failed: 0, running: true };
    const polling = (async () => {
      while (polls.running) {
        const ok = await manifest('v2').then((m) => m.status === 200, () => false);
        polls[ok ? 'ok' : 'failed']++;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const started = performance.now();
    const r = await mc.cli('prune');
    polls.running = false;
    await polling;
    console.log(`prune with the registry's garbage collection: ${((performance.now() - started) / 1000).toFixed(1)} s; manifest reads meanwhile: ${polls.ok} answered, ${polls.failed} failed`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Removed registry .*garbage collection of the swarm's registry/);
    const after = storageBytes();
    console.log(`registry storage: ${before} bytes before the prune, ${after} after`);
    expect(before - after, "v1's two megabytes of its own").toBeGreaterThan(1.5 * (1 << 20));
    // The worker forgets every image no container uses, then runs v2 again: a fresh pull after the collection.
    // (v2's stopped task containers hold its image until the node removes them, a little after their service.)
    await until("the worker to have forgotten v2's image", async () => {
      swarm.nodes[1]!.docker('image', 'prune', '-a', '-f');
      return swarm.nodes[1]!.docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}').includes(':v2') ? undefined : true;
    });
    const back = await mc.cli('rollback', APP, 'v2');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    await until('v2 serving again on both nodes', async () => {
      const up = await web();
      return up.length === 2 && new Set(up.map((i) => i.host)).size === 2 && (await serve()).version === 'v2' ? true : undefined;
    });
    expect(swarm.nodes[1]!.docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}')).toContain(`${host}/minicloud/${APP}:v2`);
  });

  it('a crash and a start of minicloud keep the same registry: its address, data, password and CA', async () => {
    const [pw, caPem, tls] = [password(), ca(), readFileSync(file('tls.crt'), 'utf8')];
    const old = registryPid();
    await mc.crash();
    await mc.start();
    expect(registryPid()).not.toBe(old); // the one the killed minicloud left was ended, a new one started
    const ended = () => !existsSync(`/proc/${old}/stat`) || readFileSync(`/proc/${old}/stat`, 'utf8').includes(') Z ');
    expect(ended()).toBe(true);
    expect([password(), ca(), readFileSync(file('tls.crt'), 'utf8')]).toEqual([pw, caPem, tls]);
    expect((await manifest('v2')).status).toBe(200);
    await deploy('v5');
    await until('v5 serving', async () => ((await serve()).version === 'v5' ? true : undefined));
  });
});
