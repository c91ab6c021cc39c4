// Compose services with images of their own, in the user's words: a pushed repository whose compose.yaml has a web
// service and a worker built from it (`build: .`) and PostgreSQL from its image with a named volume and a
// healthcheck. Both reach the database by its service name; they start once it passes its health check; the web
// writes a row, the worker reads it; a redeploy (the database stopped first) and a rollback keep the row; a backup
// holds the volume; the database cannot be scaled past one; a refused file leaves nothing running. The image is
// `postgres:15-bookworm` as the suite's stand-ins build it (scripts/stand-in-images/postgres.Dockerfile: Debian's
// PostgreSQL 15 server under the official image's tag, since no registry is reachable here).
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import type { BackupInfo } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'cpg';
let redis: TestRedis;
let mc: Minicloud;
let repo: string;

beforeAll(async () => {
  await ensureStandIns(dockerHost(), ['postgres']);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-compose-images' });
  repo = fixtureRepo('compose-postgres');
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

function post(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: mc.httpPort, path, method: 'POST', headers: { host: `${APP}.localhost` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const running = (type: string) => docker('ps', '--filter', `label=minicloud.app=${APP}`, '--filter', `label=minicloud.type=${type}`, '--format', '{{.ID}}').split('\n').filter(Boolean);

it('deploys web and worker from the push and PostgreSQL from its image, reached by its service name', async () => {
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain('compose.yaml found (no Dockerfile): web, worker, db');
  expect(r.output).toContain('db runs postgres:15-bookworm');
  expect(r.output).toContain('Waiting for db to pass its health check');
  expect(r.output).toContain('Starting web, worker now that db answers');
  expect(r.output).toContain('v1 is live');
  expect(await post('/notes?body=first')).toBe(201);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).body).toBe('notes: first');
  // The worker, another container of the build, reads what web wrote.
  await until('the worker reads the note', async () => ((await mc.cli('logs', APP, '-n', '200')).stdout.includes('worker read notes: first') ? true : undefined), 60_000);
  expect(running('db')).toHaveLength(1);
  // The database's image and user: its own, not the build's.
  const [db] = running('db');
  expect(docker('inspect', '--format', '{{.Config.Image}}', db!)).toBe(`minicloud/${APP}:v1-db`);
  // Its volume is its own: the build's processes do not mount it.
  const [web] = running('web');
  expect(docker('inspect', '--format', '{{range .Mounts}}{{.Destination}} {{end}}', web!)).not.toContain('postgresql');
});

it('keeps the row through a redeploy (the database stopped first, one at a time) and a rollback', async () => {
  const [before] = running('db');
  writeFileSync(join(repo, 'CHANGES'), 'v2\n');
  commitAll(repo, 'v2');
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain('Stopping db first');
  expect(r.output).toContain('v2 is live');
  expect(running('db')).toHaveLength(1);
  expect(running('db')[0]).not.toBe(before);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).body).toBe('notes: first');
  expect(await post('/notes?body=second')).toBe(201);

  const back = await mc.cli('rollback', APP);
  expect(back.code, back.stdout + back.stderr).toBe(0);
  await until('v3 (v1 again) serves', async () => ((await mc.cli('ps', APP)).stdout.includes('v3') ? true : undefined), 120_000);
  expect(docker('inspect', '--format', '{{.Config.Image}}', running('db')[0]!)).toBe(`minicloud/${APP}:v1-db`);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).body).toBe('notes: first,second');
});

it('runs the database once, and backs its volume up with the app', async () => {
  const scale = await mc.cli('ps:scale', APP, 'db=2');
  expect(scale.code).toBe(1);
  expect(scale.stderr).toContain('db=2: db runs its own image with its own volume');
  const since = Math.floor(Date.now() / 1000) - 1;
  const backup = await mc.api<BackupInfo>('POST', `/api/apps/${APP}/backups`);
  expect(backup.status, JSON.stringify(backup.body)).toBe(201);
  expect(backup.body.status, JSON.stringify(backup.body)).toBe('good');
  expect(backup.body.parts.map((p) => p.name)).toContain('volume /var/lib/postgresql/data');
  // The database was paused while its files were copied (a consistent copy), and runs again after.
  const events = docker('events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1),
    '--filter', `label=minicloud.app=${APP}`, '--filter', 'event=pause', '--filter', 'event=unpause', '--format', '{{.Action}} {{index .Actor.Attributes "minicloud.type"}}');
  expect(events.trim().split('\n')).toEqual(['pause db', 'unpause db']);
  expect((await get(mc.httpPort, `${APP}.localhost`, '/')).status).toBe(200);
});

it('refuses a file whose build shares the database\'s volume, running nothing and changing nothing', async () => {
  expect((await mc.cli('apps:create', 'cpg-bad')).code).toBe(0);
  const bad = fixtureRepo('compose-postgres');
  const text = (await import('node:fs')).readFileSync(join(bad, 'compose.yaml'), 'utf8')
    .replace('    command: python3 worker.py\n', '    command: python3 worker.py\n    volumes: ["pgdata:/var/lib/postgresql/data"]\n');
  writeFileSync(join(bad, 'compose.yaml'), text);
  commitAll(bad, 'shares the volume');
  const r = await push(bad, mc.gitUrl('cpg-bad'));
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('compose.yaml: services.worker.volumes[0]: mounts pgdata, which services.db mounts');
  expect(docker('ps', '-a', '--filter', 'label=minicloud.app=cpg-bad', '--format', '{{.Names}}')).toBe('');
  expect((await mc.cli('config', 'cpg-bad')).stdout).not.toContain('POSTGRES_PASSWORD');
  rmSync(bad, { recursive: true, force: true });
});

it('refuses the file on host processes, naming the service that needs an image, before anything is applied', async () => {
  const hostRedis = await startRedis();
  const host = await startMinicloud(hostRedis.url, { MINICLOUD_RUNTIME: 'process' });
  try {
    expect((await host.cli('apps:create', APP)).code).toBe(0);
    const r = await push(repo, host.gitUrl(APP));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('compose.yaml: services.db.image: postgres:15-bookworm is an image, and this minicloud runs apps as host processes');
    expect(r.output).toContain('x-minicloud: { addon: <kind> }');
    expect((await host.cli('config', APP)).stdout).not.toContain('POSTGRES_PASSWORD');
  } finally {
    await host.stop();
    await hostRedis.stop();
  }
});
