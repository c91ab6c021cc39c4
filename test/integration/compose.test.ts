// Compose files on the Docker runtime, in the user's words: `apps:create <name> --compose docker-compose.yml`.
// A file with a web service, a worker waiting for web's health check, a PostgreSQL service mapped to minicloud's
// shared add-on and a named volume deploys, and its volume is in the app's backups; each refused key gives its
// error, and nothing of the app is left after a refusal (no app, container, network). The app image is built
// locally from minicloud/addon-clients (test/fixtures/images/compose-shop): no registry is reachable here.
import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import type { AppInfo, BackupInfo } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { bridgeGateway, startRelay, type Relay } from '../helpers/relay.ts';
import { SERVICES_ENV, setupOrFailEach } from '../helpers/services.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/images/compose-shop/', import.meta.url));
const IMAGE = `minicloud-test/compose-shop:${Date.now().toString(36)}`;
const NETWORK = 'minicloud-test-compose';
let redis: TestRedis | undefined;
let mc: Minicloud | undefined;
let relay: Relay | undefined;
const dir = mkdtempSync(join(tmpdir(), 'mc-compose-'));

setupOrFailEach(async () => {
  await ensureStandIns(dockerHost(), ['addon-clients']);
  docker('build', '-q', '-t', IMAGE, FIXTURE);
  // This file's own PostgreSQL listens on loopback; app containers reach it through the bridge's gateway.
  const env = SERVICES_ENV as Record<string, string>;
  relay = await startRelay(bridgeGateway(), Number(new URL(env.MINICLOUD_POSTGRES_URL!).port));
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    ...env, MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: NETWORK, MINICLOUD_POSTGRES_APP_HOST: relay.appHost,
  });
}, ['postgres']);

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  await relay?.close();
  docker('rmi', '-f', IMAGE);
});

const SHOP = () => `
services:
  web:
    image: ${IMAGE}
    ports: ["8080:3000"]
    environment: { GREETING: hello }
    env_file: config/web.env
    volumes: ["uploads:/srv/uploads"]
    depends_on:
      db: { condition: service_healthy }
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:3000/health"]
      interval: 1s
      start_period: 60s
  worker:
    image: ${IMAGE}
    command: ./worker.sh
    volumes: ["uploads:/srv/uploads"]
    depends_on:
      web: { condition: service_healthy }
  db:
    image: postgres:16
    environment: { POSTGRES_PASSWORD: example }
    volumes: ["pgdata:/var/lib/postgresql/data"]
    x-minicloud: { addon: postgres }
volumes:
  uploads: {}
  pgdata: {}
`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Nothing of `app` on the server or the engine: no app, no container, no network of its own, no volume. */
async function nothingLeft(app: string): Promise<void> {
  const apps = await mc!.api<AppInfo[]>('GET', '/api/apps');
  expect(apps.body.map((a) => a.name)).not.toContain(app);
  expect(docker('ps', '-a', '--filter', `label=minicloud.app=${app}`, '--format', '{{.Names}}')).toBe('');
  expect(docker('network', 'ls', '--filter', `name=${NETWORK}-app-${app}`, '--format', '{{.Name}}')).toBe('');
  expect(existsSync(join(mc!.dataDir, 'volumes', app))).toBe(false);
}

it('refuses each unsupported key with its name, before anything runs, leaving nothing behind', async () => {
  const cases: Array<[string, string]> = [
    ['privileged: true', 'services.web.privileged: not supported'],
    ['network_mode: host', 'services.web.network_mode: not supported'],
    ['devices: ["/dev/kmsg:/dev/kmsg"]', 'services.web.devices: not supported'],
    ['cap_add: [SYS_ADMIN]', 'services.web.cap_add: not supported'],
    ['volumes: ["/etc:/srv/etc"]', 'services.web.volumes[0]: mounts the host path "/etc": host paths are refused'],
    ['volumes: ["/var/run/docker.sock:/var/run/docker.sock"]', 'services.web.volumes[0]: mounts the Docker socket'],
  ];
  for (const [line, message] of cases) {
    const file = write('refused.yml', `services:\n  web:\n    image: ${IMAGE}\n    ports: ["3000"]\n    ${line}\n  worker:\n    image: ${IMAGE}\n    volumes: ["data:/srv/data"]\nvolumes: { data: {} }\n`);
    const r = await mc!.cli('apps:create', 'refused', '--compose', file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`refused.yml: ${message}`);
    await nothingLeft('refused');
  }
  // env_file outside the file's directory, or through a link: the CLI reads neither.
  mkdirSync(join(dir, 'linked'));
  symlinkSync('/etc/passwd', join(dir, 'linked', 'web.env'));
  for (const [envFile, message] of [['../outside.env', 'is outside the repository'], ['linked/web.env', 'goes through a link']]) {
    const file = write('refused.yml', `services:\n  web:\n    image: ${IMAGE}\n    ports: ["3000"]\n    env_file: ${envFile}\n`);
    const r = await mc!.cli('apps:create', 'refused', '--compose', file);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(message);
    await nothingLeft('refused');
  }
});

it('deploys web, a worker after web is healthy, PostgreSQL as the shared add-on and a named volume, which backups include', async () => {
  mkdirSync(join(dir, 'config'), { recursive: true });
  write('config/web.env', '# web settings\nLEVEL=debug\n');
  const file = write('docker-compose.yml', SHOP());
  const r = await mc!.cli('apps:create', 'shop', '--compose', file);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain(`Creating shop from docker-compose.yml: web, worker on ${IMAGE}`);
  expect(r.stdout).toContain("Service db is minicloud's shared postgres: DATABASE_URL");
  expect(r.stdout).toContain('Volume uploads at /srv/uploads');
  expect(r.stdout).toContain('Starting worker now that web answers');
  expect(r.stdout).toContain('v1 is live');

  // The worker started once web answered, wrote a row through the add-on's DATABASE_URL and a note in the volume.
  let page = { status: 0, body: '' };
  for (let i = 0; i < 60 && !page.body.includes('rows=1'); i++) {
    page = await get(mc!.httpPort, 'shop.localhost', '/');
    if (!page.body.includes('rows=1')) await new Promise((res) => setTimeout(res, 500));
  }
  expect(page.body).toBe('greeting=hello level=debug note=worker-started-after-web rows=1');
  // Where a refused file would have left its volume (nothingLeft looks there).
  expect(existsSync(join(mc!.dataDir, 'volumes', 'shop'))).toBe(true);
  const types = docker('ps', '--filter', 'label=minicloud.app=shop', '--format', '{{.Label "minicloud.type"}}').split('\n').sort();
  expect(types).toEqual(['web', 'worker']);

  const backup = await mc!.api<BackupInfo>('POST', '/api/apps/shop/backups');
  expect(backup.status, JSON.stringify(backup.body)).toBe(201);
  expect(backup.body.status).toBe('good');
  expect(backup.body.parts.map((p) => p.name).sort()).toEqual(['postgres', 'volume /srv/uploads']);
});

/** A repository holding only these files (committed), as a user's Compose project without a Dockerfile. */
function repoOf(files: Record<string, string>, from = 'static'): string {
  const repo = fixtureRepo(from);
  if (from === 'static') for (const f of ['index.html']) rmSync(join(repo, f), { force: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(repo, name, '..'), { recursive: true });
    writeFileSync(join(repo, name), text);
  }
  commitAll(repo, 'compose');
  return repo;
}

it('deploys a pushed repository whose root has compose.yaml and no Dockerfile, its image services and add-on', async () => {
  expect((await mc!.cli('apps:create', 'pushed')).code).toBe(0);
  // A pushed tree's env_files are read at its root.
  const repo = repoOf({ 'compose.yaml': SHOP().replace('config/web.env', 'web.env'), 'web.env': 'LEVEL=pushed\n' });
  const r = await push(repo, mc!.gitUrl('pushed'));
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`compose.yaml found (no Dockerfile): web, worker on ${IMAGE}`);
  expect(r.output).toContain('Provisioned postgres: DATABASE_URL');
  expect(r.output).toContain('Starting worker now that web answers');
  expect(r.output).toContain('v1 is live');
  let page = { status: 0, body: '' };
  for (let i = 0; i < 60 && !page.body.includes('rows=1'); i++) {
    page = await get(mc!.httpPort, 'pushed.localhost', '/');
    if (!page.body.includes('rows=1')) await new Promise((res) => setTimeout(res, 500));
  }
  expect(page.body).toBe('greeting=hello level=pushed note=worker-started-after-web rows=1');
});

it('builds a pushed compose.yaml whose services say build: . with the buildpack, each service a process', async () => {
  expect((await mc!.cli('apps:create', 'built')).code).toBe(0);
  const compose = 'services:\n  web:\n    build: .\n    ports: ["5000"]\n    environment: { GREETING: hi }\n  clock:\n    build: .\n    command: python3 -c "import time; time.sleep(100000)"\n';
  const repo = repoOf({ 'compose.yaml': compose }, 'python');
  const r = await push(repo, mc!.gitUrl('built'));
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain('compose.yaml found (no Dockerfile): web, clock on the pushed build');
  expect(r.output).toContain('Build succeeded; processes: web, clock');
  expect(r.output).toContain('v1 is live');
  expect((await get(mc!.httpPort, 'built.localhost', '/')).body).toBe('hello from python\n');
  const types = docker('ps', '--filter', 'label=minicloud.app=built', '--format', '{{.Label "minicloud.type"}}').split('\n').sort();
  expect(types).toEqual(['clock', 'web']);
  expect((await mc!.cli('config', 'built')).stdout).toContain('GREETING');
});

it('refuses a pushed Compose file with a refused key or an env_file through a link, running nothing', async () => {
  expect((await mc!.cli('apps:create', 'hostile')).code).toBe(0);
  const privileged = repoOf({ 'docker-compose.yml': `services:\n  web:\n    image: ${IMAGE}\n    ports: ["3000"]\n    privileged: true\n` });
  const r1 = await push(privileged, mc!.gitUrl('hostile'));
  expect(r1.code).not.toBe(0);
  expect(r1.output).toContain('docker-compose.yml: services.web.privileged: not supported');
  const linked = repoOf({ 'compose.yaml': `services:\n  web:\n    image: ${IMAGE}\n    ports: ["3000"]\n    env_file: web.env\n` });
  symlinkSync('/etc/passwd', join(linked, 'web.env'));
  commitAll(linked, 'a link');
  expect((await mc!.cli('apps:create', 'hostile2')).code).toBe(0);
  const r2 = await push(linked, mc!.gitUrl('hostile2'));
  expect(r2.code).not.toBe(0);
  expect(r2.output).toContain('web.env is a link');
  expect(r2.output).not.toContain('root:x:0');
  for (const app of ['hostile', 'hostile2']) expect(docker('ps', '-a', '--filter', `label=minicloud.app=${app}`, '--format', '{{.Names}}')).toBe('');
});
