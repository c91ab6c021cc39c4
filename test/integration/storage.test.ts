// Storage volumes: a file written by the app survives a redeploy, a rollback and a restart.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deploy } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
let repo: string;
const read = async (path = '/') => JSON.parse((await get(mc.httpPort, 'files.localhost', path)).body) as { version: string; note: string | null };

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  repo = fixtureRepo('node-storage');
  await mc.api('POST', '/api/apps', { name: 'files' });
  expect((await push(repo, mc.gitUrl('files'))).code).toBe(0);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

it('keeps what the app wrote to its storage across a redeploy, a rollback and a restart', async () => {
  expect((await read()).note).toBe('shipped with the code\n');
  const add = await mc.cli('storage:add', 'files', '/data');
  expect(add.code, add.stderr).toBe(0);
  expect(add.stdout).toContain('Adding storage at /data to files and restarting... done, v2');
  // The volume replaces what the code had at that path, as a mounted volume would.
  expect((await read()).note).toBeNull();
  await get(mc.httpPort, 'files.localhost', '/write?note=kept');

  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace("const VERSION = 'v1'", "const VERSION = 'v2'"));
  commitAll(repo, 'v2');
  expect((await push(repo, mc.gitUrl('files'))).code).toBe(0);
  expect(await read()).toEqual({ version: 'v2', note: 'kept' });

  const back = await mc.api<{ deploy: Deploy }>('POST', '/api/apps/files/rollback', { version: 2 });
  expect(back.body.deploy.status).toBe('succeeded');
  expect(await read()).toEqual({ version: 'v1', note: 'kept' });
  await mc.api('POST', '/api/apps/files/restart');
  expect((await read()).note).toBe('kept');
  const list = await mc.cli('storage', 'files');
  expect(list.stdout).toMatch(/\/data\s+\S+volumes\/files\/data/);
});

it('refuses bad storage paths with a clear error', async () => {
  for (const path of ['data', '/etc', '/data/../x', '/']) {
    const r = await mc.api<{ error: string }>('POST', '/api/apps/files/storage', { path });
    expect(r.status, path).toBe(400);
  }
  const cli = await mc.cli('storage:add', 'files', '../x');
  expect(cli.code).toBe(1);
  expect(cli.stderr).toContain('invalid storage path');
});

it('provisions ./data ($STORAGE_DIR) for a manifest that needs storage, kept across a redeploy', async () => {
  const r2 = fixtureRepo('node-storage');
  writeFileSync(join(r2, 'cloud_manifest.yml'), 'needs: [storage]\n');
  commitAll(r2, 'needs storage');
  await mc.api('POST', '/api/apps', { name: 'needy' });
  const first = await push(r2, mc.gitUrl('needy'));
  expect(first.code, first.output).toBe(0);
  expect(first.output).toContain("Provisioned storage for storage: /data in containers (./data in the app's directory for host processes");
  const vols = await mc.api<Array<{ path: string }>>('GET', '/api/apps/needy/storage');
  expect(vols.body.map((v) => v.path)).toEqual(['/data']);
  const seen = JSON.parse((await get(mc.httpPort, 'needy.localhost', '/storage-dir')).body) as { STORAGE_DIR: string; same: boolean };
  expect(seen.STORAGE_DIR).toMatch(/\/data$/);
  expect(seen.same).toBe(true);
  await get(mc.httpPort, 'needy.localhost', '/write?note=needed');
  writeFileSync(join(r2, 'server.js'), readFileSync(join(r2, 'server.js'), 'utf8').replace("const VERSION = 'v1'", "const VERSION = 'v2'"));
  commitAll(r2, 'v2');
  const second = await push(r2, mc.gitUrl('needy'));
  expect(second.code, second.output).toBe(0);
  expect(second.output).not.toContain('Provisioned storage');
  expect(JSON.parse((await get(mc.httpPort, 'needy.localhost')).body)).toEqual({ version: 'v2', note: 'needed' });
});
