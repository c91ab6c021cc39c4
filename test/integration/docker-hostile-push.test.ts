// Hostile pushed trees on the Docker builder: links out of the tree never reach the build context, links inside it do.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;
const CANARY = `canary-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test', MINICLOUD_TEST_CANARY: CANARY,
  });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** The Dockerfile fixture, copying its whole tree into the image and printing `file` while it builds. */
function repoWithLink(file: string, target: string): string {
  const repo = fixtureRepo('dockerfile');
  mkdirSync(join(repo, file, '..'), { recursive: true });
  symlinkSync(target, join(repo, file));
  appendFileSync(join(repo, 'Dockerfile'), `COPY . /tree\nRUN cat /tree/${file} | tr '\\\\0' '\\\\n' | head -c 20000\n`);
  commitAll(repo, `link ${file}`);
  return repo;
}

describe('the Docker builder and links in the pushed tree', () => {
  it.each([
    ['conf/leak', '/proc/self/environ', 'dk-lk-abs'],
    ['.dockerignore', '/proc/self/environ', 'dk-lk-ignore'],
    ['conf/leak', '../../../../../proc/self/environ', 'dk-lk-rel'],
  ])('refuses %s -> %s before the engine sees the context', async (file, target, app) => {
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    const r = await push(repoWithLink(file, target), mc.gitUrl(app));
    const log = await mc.cli('logs', app, '--build');
    for (const text of [r.output, log.stdout]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(mc.token);
    }
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain(`${file} is a link to a file outside the repository`);
    expect(r.output).not.toContain('Building the repository');
    expect(() => docker('image', 'inspect', `minicloud/${app}:v1`)).toThrow();
  });

  it('keeps a link inside the tree as a link in the image', async () => {
    const app = 'dk-lk-inside';
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    const r = await push(repoWithLink('conf/server-copy.py', '../server.py'), mc.gitUrl(app));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('v1 is live');
    expect(docker('run', '--rm', '--entrypoint', 'readlink', `minicloud/${app}:v1`, '/tree/conf/server-copy.py')).toBe('../server.py');
  });
});

describe('an image deploy whose manifest is huge', () => {
  it('is refused without reading the file into memory, naming its size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-bigmanifest-'));
    const ref = `minicloud-test/bigmanifest-${randomBytes(4).toString('hex')}:1`;
    writeFileSync(join(dir, 'cloud_manifest.yml'), `# ${'x'.repeat(3 * 1024 * 1024)}\n`);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${process.env.MINICLOUD_BASE_IMAGE_STATIC ?? 'minicloud/busybox'}\nCOPY cloud_manifest.yml /\nCMD ["sleep", "60"]\n`);
    docker('build', '-q', '-t', ref, dir);
    rmSync(dir, { recursive: true, force: true });
    try {
      expect((await mc.cli('apps:create', 'dk-bigmanifest')).code).toBe(0);
      const r = await mc.cli('deploy', 'dk-bigmanifest', '--image', ref);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/cloud_manifest\.yml in the image is \d+ bytes; minicloud reads at most \d+/);
    } finally {
      docker('rmi', '-f', ref);
    }
  });
});
