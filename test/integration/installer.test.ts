// The server installer end to end, as root: in a network namespace of its own (80 and 443 free there) with its
// own dockerd, fed stand-ins of the official images (no registry is reachable). It installs, an app with an
// add-on of each kind is deployed through https://admin.<domain> with the token from the printed file and
// served on 80 and 443, a re-run changes nothing, and --uninstall removes it (keeping the data unless --purge).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerHost } from '../helpers/docker.ts';
import { startNetnsEngine, type NetnsEngine } from '../helpers/netns-engine.ts';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureInstallerImages } from '../../scripts/stand-in-images.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
// What the installer builds from: a copy of the checkout's image files taken at the start, so that a checkout
// changing under a long run (a landing on main) cannot change the image the installer looks for.
const SNAPSHOT = mkdtempSync('/var/tmp/mc-installer-src-');
const IMAGE_FILES = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'proxy', 'buildpacks', 'catalog', 'scripts'];
for (const f of IMAGE_FILES) cpSync(join(ROOT, f), join(SNAPSHOT, f), { recursive: true });
const SCRIPT = join(SNAPSHOT, 'scripts/install.sh');
const DOMAIN = 'example.test';
const APP = 'shop';
let ns: NetnsEngine;
let state: string;
let token: string;
let firstOutput = '';

interface Res { status: number; body: string }

/** One request to the namespace's router, by name (SNI and Host), over HTTPS (self-signed) or plain HTTP. */
function call(method: string, host: string, path: string, opts: { body?: unknown; https?: boolean } = {}): Promise<Res> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const https = opts.https ?? true;
  const headers: Record<string, string> = { host, ...(token && { authorization: `Bearer ${token}` }), ...(body && { 'content-type': 'application/json' }) };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)({
      host: ns.ip, port: https ? 443 : 80, method, path, headers, servername: host, rejectUnauthorized: false, timeout: 60_000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${host}${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Retries `fn` until `ok` holds, up to `ms`; throws with the last answer, naming what it waited for. */
async function until(what: string, ms: number, fn: () => Promise<Res>, ok: (r: Res) => boolean): Promise<Res> {
  let last: Res | Error = new Error('not tried');
  for (const end = Date.now() + ms; Date.now() < end;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      last = e as Error;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}; last: ${last instanceof Error ? last.message : `${last.status} ${last.body.slice(0, 500)}`}`);
}

/** An image in the namespace's engine made FROM `base` plus one Dockerfile line (a newer build, a broken one). */
function derive(tag: string, base: string, line: string): void {
  const r = spawnSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM ${base}\n${line}\n`, env: { ...process.env, DOCKER_HOST: ns.dockerHost }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker build ${tag}: ${r.stderr}`);
}

/** Requests to `host` over plain HTTP, one after another, until stop(): what failed. */
function steady(host: string): { stop(): Promise<{ total: number; failures: string[] }> } {
  let running = true;
  const seen = { total: 0, failures: [] as string[] };
  const loop = (async () => {
    while (running) {
      seen.total++;
      try {
        const r = await call('GET', host, '/', { https: false });
        if (r.status !== 200) seen.failures.push(`${r.status} ${r.body.slice(0, 100)}`);
      } catch (e) {
        seen.failures.push((e as Error).message);
      }
    }
  })();
  return { stop: async () => { running = false; await loop; return seen; } };
}

/** The installer inside the namespace, against its engine, with its state in a scratch dir. */
function installer(...args: string[]): Promise<{ status: number | null; out: string }> {
  return installerWith({}, ...args);
}

function installerWith(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(ns.exec[0]!, [...ns.exec.slice(1), 'sh', SCRIPT, ...args], {
      env: { ...process.env, DOCKER_HOST: ns.dockerHost, MINICLOUD_STATE_DIR: state, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const t0 = Date.now();
    child.on('close', (status) => {
      console.log(`installer ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      resolve({ status, out });
    });
  });
}

beforeAll(async () => {
  // npm test built them already (scripts/test.mjs); this builds what a change since then made stale.
  const images = (await ensureInstallerImages(dockerHost(), SNAPSHOT)) as string[];
  ns = await startNetnsEngine();
  state = join(ns.dir, 'state');
  // docker save | docker load: one stream, shared layers once (asynchronously: the worker must keep answering vitest).
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', `docker save ${images.join(' ')} | DOCKER_HOST=${ns.dockerHost} docker load -q`], {
      env: { ...process.env, DOCKER_HOST: dockerHost() }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker save | docker load failed: ${err.slice(-2000)}`))));
  });
}, 40 * 60_000);

afterAll(async () => {
  await ns?.down();
  rmSync(SNAPSHOT, { recursive: true, force: true });
});

describe('the server installer', () => {
  it('installs minicloud and its shared services, printing the dashboard URL and where the token is', async () => {
    const r = await installer('--domain', DOMAIN);
    firstOutput = r.out;
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`https://admin.${DOMAIN}`);
    expect(r.out).toContain(`Admin token: in ${state}/admin.token`);
    token = readFileSync(join(state, 'admin.token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(r.out).not.toContain(token);
    expect(ns.docker('logs', 'minicloud')).not.toContain(token);
    expect(statSync(join(state, 'admin.token')).mode & 0o777).toBe(0o600);
    for (const f of ['minicloud.env', 'redis.conf', 'redis-addons.conf', 'mariadb.env', 'postgres.env', 'rabbitmq.env']) {
      expect(statSync(join(state, 'secrets', f)).mode & 0o777, f).toBe(0o600);
    }
    const running = ns.docker('ps', '--format', '{{.Names}}').split('\n').sort();
    expect(running).toEqual(['minicloud', 'minicloud-mariadb', 'minicloud-postgres', 'minicloud-rabbitmq', 'minicloud-redis', 'minicloud-redis-addons', 'minicloud-router']);
    // The router holds the ports, in a container of its own; minicloud publishes none.
    expect(ns.docker('container', 'inspect', '-f', '{{json .HostConfig.PortBindings}}', 'minicloud-router')).toMatch(/"80\/tcp".*"443\/tcp"|"443\/tcp".*"80\/tcp"/);
    expect(ns.docker('container', 'inspect', '-f', '{{json .HostConfig.PortBindings}}', 'minicloud')).not.toContain('80/tcp');
    // It sees its own directory and the access logs, not minicloud's secrets.
    expect(ns.docker('container', 'inspect', '-f', '{{range .Mounts}}{{.Source}} {{end}}', 'minicloud-router').trim().split(' ').sort()).toEqual([join(state, 'logs'), join(state, 'router')]);
    // State at the same path inside and out; the engine restarts it; the queue's Redis is not on the apps' network.
    expect(ns.docker('container', 'inspect', '-f', '{{range .Mounts}}{{.Source}}={{.Destination}} {{end}}', 'minicloud')).toContain(`${state}=${state}`);
    expect(ns.docker('container', 'inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'minicloud')).toBe('unless-stopped');
    expect(ns.docker('container', 'inspect', '-f', '{{json .NetworkSettings.Networks}}', 'minicloud-redis')).not.toContain('"minicloud"');
  }, 10 * 60_000);

  it('deploys an app with an add-on of each kind through https://admin.<domain>, served on 443 and 80', async () => {
    expect(token, 'the install step passed').toBeTruthy();
    await until('the dashboard edge', 60_000, () => call('GET', `admin.${DOMAIN}`, '/api/apps'), (r) => r.status === 200);
    expect((await call('POST', `admin.${DOMAIN}`, '/api/apps', { body: { name: APP } })).status).toBe(201);
    // The image carries the catalog: its entries are there to install.
    expect((await call('GET', `admin.${DOMAIN}`, '/api/catalog')).body).toContain('"radicale"');
    for (const kind of ['mariadb', 'postgres', 'rabbitmq', 'redis']) {
      // The servers may still be starting (RabbitMQ takes a while): 503 until they answer.
      await until(`the ${kind} add-on`, 120_000, () => call('POST', `admin.${DOMAIN}`, `/api/apps/${APP}/addons`, { body: { kind } }), (r) => r.status === 201);
    }
    const repo = mkdtempSync(join(tmpdir(), 'mc-installer-app-'));
    try {
      cpSync(join(ROOT, 'test/fixtures/apps/installer-addons'), repo, { recursive: true });
      const git = (...args: string[]) => execFileSync('git', args, {
        cwd: repo, encoding: 'utf8', stdio: 'pipe', timeout: 600_000,
        // The token as an HTTP header from the environment, not on a command line.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: '3',
          GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x:${token}`).toString('base64')}`,
          GIT_CONFIG_KEY_1: 'http.sslVerify', GIT_CONFIG_VALUE_1: 'false',
          GIT_CONFIG_KEY_2: 'http.curloptResolve', GIT_CONFIG_VALUE_2: `admin.${DOMAIN}:443:${ns.ip}` },
      });
      git('init', '-q', '-b', 'main');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.test', 'add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit', '-qm', 'app');
      git('push', `https://admin.${DOMAIN}/git/${APP}.git`, 'main');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
    const expected = 'mariadb ok\npostgres ok\nredis ok\nrabbitmq ok\n';
    const tls = await until('the app on 443', 120_000, () => call('GET', `${APP}.${DOMAIN}`, '/'), (r) => r.status === 200);
    expect(tls.body).toBe(expected);
    expect((await call('GET', `${APP}.${DOMAIN}`, '/', { https: false })).body).toBe(expected);
    // The app's container has log rotation.
    const appContainer = ns.docker('ps', '-q', '--filter', `label=minicloud.app=${APP}`).split('\n')[0]!;
    expect(ns.docker('container', 'inspect', '-f', '{{json .HostConfig.LogConfig}}', appContainer)).toContain('max-size');
    // On a network of its own only, which the router, minicloud and the add-on servers join: no other app is on it.
    expect(ns.docker('container', 'inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', appContainer).trim()).toBe(`minicloud-app-${APP}`);
    const onIt = ns.docker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', `minicloud-app-${APP}`).trim().split(' ').filter((n) => !n.startsWith('mc-')).sort();
    expect(onIt).toEqual(['minicloud', 'minicloud-mariadb', 'minicloud-postgres', 'minicloud-rabbitmq', 'minicloud-redis-addons', 'minicloud-router']);
  }, 15 * 60_000);

  // After the deploy: every service answered by then.
  it('gives no shared service a way in without its password', () => {
    const tryIn = (...args: string[]) => spawnSync('docker', ['exec', ...args], { env: { ...process.env, DOCKER_HOST: ns.dockerHost }, encoding: 'utf8' });
    for (const redis of ['minicloud-redis', 'minicloud-redis-addons']) expect(tryIn(redis, 'redis-cli', 'ping').stdout, redis).toContain('NOAUTH');
    const pg = tryIn('minicloud-postgres', 'psql', '-h', '127.0.0.1', '-U', 'postgres', '-w', '-c', 'SELECT 1');
    expect(pg.status).not.toBe(0);
    expect(pg.stderr).toContain('no password supplied');
    const my = tryIn('minicloud-mariadb', 'mariadb', '-h', '127.0.0.1', '-uroot', '-e', 'SELECT 1');
    expect(my.status).not.toBe(0);
    expect(my.stderr).toContain('Access denied');
    // No guest account: the installer's user (with its generated password) and the app's own.
    const users = tryIn('minicloud-rabbitmq', 'rabbitmqctl', '-q', 'list_users').stdout.trim().split('\n').map((l) => l.split(/\s/)[0]);
    expect(users.filter((u) => u !== 'user').sort()).toEqual(['mc_shop', 'minicloud']);
  });

  it('changes nothing when run again', async () => {
    const before = ns.docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}');
    const started = ns.docker('container', 'inspect', '-f', '{{.State.StartedAt}}', 'minicloud');
    const r = await installer('--domain', DOMAIN);
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toMatch(/started |created |re-creating|wrote |Building|Pulling|Installing Docker/);
    expect(ns.docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}')).toBe(before.split('\n').map((l) => l.split(' ').slice(0, 2).join(' ')).join('\n'));
    expect(ns.docker('container', 'inspect', '-f', '{{.State.StartedAt}}', 'minicloud')).toBe(started);
    expect(firstOutput).toMatch(/started minicloud /);
  }, 5 * 60_000);

  it('keeps the app answering through a kill -9 of minicloud (its container restarts it): 0 failed requests', async () => {
    const ups = () => (ns.docker('logs', 'minicloud').match(/minicloud is up/g) ?? []).length;
    const before = ups();
    const traffic = steady(`${APP}.${DOMAIN}`);
    process.kill(Number(ns.docker('container', 'inspect', '-f', '{{.State.Pid}}', 'minicloud')), 'SIGKILL');
    await until('minicloud back after its kill', 120_000, async () => ({ status: ups() > before ? 200 : 0, body: '' }), (x) => x.status === 200);
    const seen = await traffic.stop();
    expect(seen.failures.slice(0, 5), `${seen.failures.length} of ${seen.total} failed`).toEqual([]);
    expect(seen.total).toBeGreaterThan(5);
  }, 5 * 60_000);

  it('re-creates minicloud when an argument changes (--email turns ACME on), its apps serving on: 0 failed requests', async () => {
    const before = ns.docker('container', 'inspect', '-f', '{{.Id}}', 'minicloud');
    const services = ns.docker('ps', '-q', '--no-trunc', '--filter', 'name=minicloud-');
    const traffic = steady(`${APP}.${DOMAIN}`);
    const r = await installer('--domain', DOMAIN, '--email', 'ops@example.test');
    const seen = await traffic.stop();
    expect(seen.failures.slice(0, 5), `${seen.failures.length} of ${seen.total} failed`).toEqual([]);
    expect(seen.total).toBeGreaterThan(5);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('re-creating minicloud (its settings changed)');
    expect(r.out).toContain("Certificates: Let's Encrypt, for ops@example.test");
    expect(ns.docker('container', 'inspect', '-f', '{{.Id}}', 'minicloud')).not.toBe(before);
    expect(ns.docker('ps', '-q', '--no-trunc', '--filter', 'name=minicloud-')).toBe(services);
    expect(readFileSync(join(state, 'secrets/minicloud.env'), 'utf8')).toContain('MINICLOUD_ACME_EMAIL=ops@example.test');
    // The new minicloud adopted the app's running container: still served (self-signed until a CA answers).
    const res = await until('the app after the re-create', 120_000, () => call('GET', `${APP}.${DOMAIN}`, '/', { https: false }), (x) => x.status === 200);
    expect(res.body).toBe('mariadb ok\npostgres ok\nredis ok\nrabbitmq ok\n');
  }, 5 * 60_000);

  it('upgrades to a newer build with 0 failed requests, the router container untouched', async () => {
    const current = ns.docker('container', 'inspect', '-f', '{{.Config.Image}}', 'minicloud');
    const router = ns.docker('container', 'inspect', '-f', '{{.Id}}', 'minicloud-router');
    derive('minicloud/server:newer', current, 'LABEL minicloud.test-build=newer');
    const traffic = steady(`${APP}.${DOMAIN}`);
    const r = await installerWith({ MINICLOUD_IMAGE: 'minicloud/server:newer' }, '--domain', DOMAIN, '--email', 'ops@example.test');
    const seen = await traffic.stop();
    expect(r.status, r.out).toBe(0);
    expect(seen.failures.slice(0, 5), `${seen.failures.length} of ${seen.total} failed`).toEqual([]);
    expect(ns.docker('container', 'inspect', '-f', '{{.Config.Image}}', 'minicloud')).toBe('minicloud/server:newer');
    expect(ns.docker('container', 'inspect', '-f', '{{.Id}}', 'minicloud-router')).toBe(router);
    expect(ns.docker('ps', '-a', '--format', '{{.Names}}')).not.toContain('minicloud-previous');
  }, 5 * 60_000);

  it('goes back to the previous build, its database as before, when the new one does not start: 0 failed requests', async () => {
    derive('minicloud/server:broken', 'minicloud/server:newer', 'CMD ["node", "-e", "console.error(\'a build that does not start\'); process.exit(1)"]');
    const traffic = steady(`${APP}.${DOMAIN}`);
    const r = await installerWith({ MINICLOUD_IMAGE: 'minicloud/server:broken' }, '--domain', DOMAIN, '--email', 'ops@example.test');
    const seen = await traffic.stop();
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('did not come up');
    expect(r.out).toContain('minicloud/server:newer) is back');
    expect(seen.failures.slice(0, 5), `${seen.failures.length} of ${seen.total} failed`).toEqual([]);
    expect(ns.docker('container', 'inspect', '-f', '{{.Config.Image}} {{.State.Running}}', 'minicloud')).toBe('minicloud/server:newer true');
    // The previous one works as before: the API through the admin edge, the app through the router.
    await until('the API after going back', 120_000, () => call('GET', `admin.${DOMAIN}`, '/api/apps'), (x) => x.status === 200);
  }, 5 * 60_000);

  it('uninstalls: containers and networks go, the data stays unless --purge', async () => {
    const r = await installer('--uninstall');
    expect(r.status, r.out).toBe(0);
    expect(ns.docker('ps', '-aq')).toBe('');
    expect(ns.docker('network', 'ls', '--format', '{{.Name}}')).not.toMatch(/^minicloud/m);
    expect(existsSync(join(state, 'admin.token'))).toBe(true);
    expect(r.out).toContain(`Kept ${state}`);
    const purge = await installer('--uninstall', '--purge');
    expect(purge.status, purge.out).toBe(0);
    expect(existsSync(state)).toBe(false);
  }, 5 * 60_000);
});
