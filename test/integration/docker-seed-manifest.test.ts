// The seed's cloud_manifest.yml exactly as its author wrote it (expose as a list, port 80 in the container, needs a
// database, a message bus and storage), pushed with a Dockerfile app to the Docker runtime: it deploys, the app uses
// each thing it needs through the variables minicloud set, and its file in /data survives a redeploy.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import { dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { bridgeGateway, startRelay, type Relay } from '../helpers/relay.ts';
import { SERVICES_ENV, ensureRabbitManagement, setupOrFailEach } from '../helpers/services.ts';

const SEED = 'name: myapp\nexpose:\n- proto: http\n  port: 80\nneeds:\n- database\n- messagebus\n- storage\n';

let redis: TestRedis | undefined;
let mc: Minicloud | undefined;
const relays: Relay[] = [];

setupOrFailEach(async () => {
  await ensureStandIns(dockerHost(), ['addon-clients']);
  await ensureRabbitManagement();
  // This file's own MariaDB and RabbitMQ listen on loopback; app containers reach them through the bridge's gateway.
  const gw = bridgeGateway();
  const env = SERVICES_ENV as Record<string, string>;
  const mariadb = await startRelay(gw, Number(new URL(env.MINICLOUD_MARIADB_URL!).port));
  const rabbit = await startRelay(gw, Number(new URL(env.MINICLOUD_RABBITMQ_URL!).port));
  relays.push(mariadb, rabbit);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    ...env, MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-seed',
    MINICLOUD_MARIADB_APP_HOST: mariadb.appHost, MINICLOUD_RABBITMQ_APP_HOST: rabbit.appHost,
  });
}, ['mariadb', 'rabbitmq']);

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  for (const r of relays) await r.close();
});

it("deploys the seed's manifest as written, with a database, a message bus and storage kept across a redeploy", async () => {
  const m = mc!;
  const repo = fixtureRepo('seed-manifest');
  expect(readFileSync(join(repo, 'cloud_manifest.yml'), 'utf8')).toBe(SEED);
  expect((await m.cli('apps:create', 'myapp')).code).toBe(0);
  const first = await push(repo, m.gitUrl('myapp'));
  expect(first.code, first.output).toBe(0);
  expect(first.output).toMatch(/Provisioned mariadb for database: DATABASE_URL/);
  expect(first.output).toMatch(/Provisioned rabbitmq for messagebus: RABBITMQ_URL, AMQP_URL/);
  expect(first.output).toContain('Provisioned storage for storage: /data in containers');
  expect(first.output).toContain('v1 is live');

  // Port 80 inside the container is what the router reaches.
  const checks = await get(m.httpPort, 'myapp.localhost', '/');
  expect(checks.status).toBe(200);
  expect(checks.body).toBe('database ok\nmessagebus ok\n');
  expect((await get(m.httpPort, 'myapp.localhost', '/write?note=kept')).status).toBe(200);
  expect((await get(m.httpPort, 'myapp.localhost', '/note')).body).toBe('v1 kept STORAGE_DIR=/data\n');
  const storage = await m.cli('storage', 'myapp');
  expect(storage.stdout).toContain('/data');

  // A new release (a changed app) finds the file where it left it.
  const app = join(repo, 'app.py');
  writeFileSync(app, readFileSync(app, 'utf8').replace("VERSION = 'v1'", "VERSION = 'v2'"));
  commitAll(repo, 'v2');
  const second = await push(repo, m.gitUrl('myapp'));
  expect(second.code, second.output).toBe(0);
  expect(second.output).toContain('v2 is live');
  expect(second.output).not.toContain('Provisioned');
  expect((await get(m.httpPort, 'myapp.localhost', '/note')).body).toBe('v2 kept STORAGE_DIR=/data\n');
  expect((await get(m.httpPort, 'myapp.localhost', '/')).body).toBe('database ok\nmessagebus ok\n');
});
