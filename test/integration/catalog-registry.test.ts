// The catalog's private Docker registry end to end: `apps:create registry --from registry --set ...`, then a Docker
// engine of its own (the registry's client) logs in, pushes and pulls through minicloud's router with those
// credentials, and is refused without them; a backup, `apps:destroy`, the same install again, `backups:restore`: the
// image pulls again. The registry image is the entry's pinned name built from Debian's docker-registry.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import type { BackupInfo } from '../../src/core/index.ts';
import { startClientEngine, type ClientEngine } from '../helpers/client-engine.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const USER = 'ci';
const PASSWORD = 'registry-pass-123';
const HOST = 'registry.localhost';

let redis: TestRedis;
let mc: Minicloud;
let client: ClientEngine;

beforeAll(async () => {
  await ensureStandIns(dockerHost(), ['registry']);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-catalog-registry' });
  client = await startClientEngine([HOST]);
  // Something to push: the busybox base image, from minicloud's engine into the client's.
  const tar = execFileSync('docker', ['save', 'minicloud/busybox'], { env: { ...process.env, DOCKER_HOST: dockerHost() }, maxBuffer: 64 << 20 });
  execFileSync('docker', ['load'], { env: { ...process.env, DOCKER_HOST: client.dockerHost }, input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
});

afterAll(async () => {
  await client?.stop();
  await mc?.stop();
  await redis?.stop();
});

/** The docker command, or its failure with what the router and the registry saw meanwhile. */
async function step(what: string, args: string[], input?: string): Promise<string> {
  const r = client.tryDocker(args, input);
  if (r.code === 0) return r.output.trim();
  const logs = await mc.cli('logs', 'registry', '-n', '60');
  throw new Error(`${what}: docker ${args.join(' ')} failed:\n${r.output}\nminicloud logs registry:\n${logs.stdout}`);
}

it('installs the registry; docker login, push and pull go through it with its credentials, and a backup brings the images back', async () => {
  const install = () => mc.cli('apps:create', 'registry', '--from', 'registry', '--set', `REGISTRY_USER=${USER}`, '--set', `REGISTRY_PASSWORD=${PASSWORD}`);
  const first = await install();
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(first.stdout).toContain('REGISTRY_HTPASSWD (secret), REGISTRY_HTTP_SECRET (secret)');
  expect(first.stdout).toContain('v1 is live');
  const config = await mc.api<Record<string, string>>('GET', '/api/apps/registry/config');
  const secret = config.body.REGISTRY_HTTP_SECRET!;
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(config.body.REGISTRY_HTPASSWD).toMatch(/^ci:\$2[aby]\$10\$/);
  for (const text of [first.stdout, first.stderr, mc.output()]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(secret);
  }
  expect((await get(mc.httpPort, HOST, '/v2/')).status).toBe(401);
  // Layers are big: the entry's router settings raise the body limit (and the idle timeout) from the start.
  const router = await mc.api<{ maxBodyBytes: number; timeoutSeconds: number }>('GET', '/api/apps/registry/router');
  expect(router.body).toMatchObject({ maxBodyBytes: 2 * 1024 ** 3 });

  const registry = `${HOST}:${mc.httpPort}`;
  const image = `${registry}/tools/busybox:1`;
  client.docker(['tag', 'minicloud/busybox', image]);
  const anonymous = client.tryDocker(['push', image]);
  expect(anonymous.code).not.toBe(0);
  expect(anonymous.output).toMatch(/no basic auth credentials|unauthorized/);
  const wrong = client.tryDocker(['login', registry, '-u', USER, '--password-stdin'], 'wrong-password-1234');
  expect(wrong.code).not.toBe(0);
  await step('login', ['login', registry, '-u', USER, '--password-stdin'], PASSWORD);
  await step('first push', ['push', image]);
  const id = client.docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  client.docker(['rmi', image]);
  await step('first pull', ['pull', image]);
  expect(client.docker(['image', 'inspect', '--format', '{{.Id}}', image])).toBe(id);

  const backup = await mc.api<BackupInfo>('POST', '/api/apps/registry/backups');
  expect(backup.body.status, JSON.stringify(backup.body)).toBe('good');
  expect(backup.body.parts.map((p) => p.name)).toEqual(['volume /var/lib/registry']);
  expect((await mc.cli('apps:destroy', 'registry', '--confirm', 'registry')).code).toBe(0);
  const again = await install();
  expect(again.code, again.stdout + again.stderr).toBe(0);
  client.docker(['rmi', image]);
  expect(client.tryDocker(['pull', image]).output).toMatch(/manifest unknown|not found/);
  const restored = await mc.cli('backups:restore', 'registry', backup.body.id);
  expect(restored.code, restored.stdout + restored.stderr).toBe(0);
  await step('pull after the restore', ['pull', image]);
  expect(client.docker(['image', 'inspect', '--format', '{{.Id}}', image])).toBe(id);
  // The blobs live in the volume, seen at the registry's own /var/lib/registry in its container.
  const container = docker('ps', '--filter', 'label=minicloud.app=registry', '--format', '{{.Names}}').split('\n')[0]!;
  expect(docker('inspect', '--format', '{{range .Mounts}}{{.Destination}} {{end}}', container)).toContain('/var/lib/registry');
});
