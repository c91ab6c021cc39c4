// An add-on attach whose release fails: refused, and not half-attached. Its database and user go from the shared
// server, its config vars are not kept (the next deploy starts without them), and a later attach works.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { AddonInfo } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, requireService, setupOrFailEach } from '../helpers/services.ts';

// The shared server may serve other runs at once: the app (hence the add-on) name is this run's own.
const APP = `ao-fail-${randomBytes(3).toString('hex')}`;
const ADDON = `mc_${APP.replace(/-/g, '_')}`;
const env = SERVICES_ENV as Record<string, string>;
let redis: TestRedis | undefined;
let mc: Minicloud | undefined;

async function onServer(): Promise<{ databases: number; roles: number }> {
  const c = new pg.Client({ connectionString: env.MINICLOUD_POSTGRES_URL!, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    const databases = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [ADDON])).rowCount ?? 0;
    const roles = (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ADDON])).rowCount ?? 0;
    return { databases, roles };
  } finally {
    await c.end().catch(() => {});
  }
}

setupOrFailEach(async () => {
  await requireService('PostgreSQL', () => onServer());
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { ...env });
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  const r = await push(fixtureRepo('node-restarts'), mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
}, ['postgres']);

afterAll(async () => {
  await mc?.cli('apps:destroy', APP, '--confirm', APP); // drops the add-on attached at the end
  await mc?.stop();
  await redis?.stop();
});

const m = () => mc!;
const serve = async () => JSON.parse((await get(m().httpPort, `${APP}.localhost`)).body) as { foo: string | null; database: boolean };
const config = async () => (await m().api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;

describe('addons:create whose release fails', () => {
  it('is refused, drops the database and user, keeps no config var; the next deploy starts without them', async () => {
    expect((await m().cli('config:set', APP, 'REFUSE_DATABASE=1')).code).toBe(0); // the app now crashes with a DATABASE_URL

    const bad = await m().cli('addons:create', APP, 'postgres');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain('release with the postgres add-on failed');
    expect(bad.stderr).toContain('the postgres add-on was not attached: its database and user were dropped and the config vars left as they were');
    expect(await config()).toEqual({ REFUSE_DATABASE: '1' });
    expect((await m().api<AddonInfo[]>('GET', `/api/apps/${APP}/addons`)).body).toEqual([]);
    expect(await onServer()).toEqual({ databases: 0, roles: 0 });
    expect(await serve()).toMatchObject({ database: false }); // the release before still serves
    const log = await m().cli('logs', APP, '--source', 'release', '-n', '200');
    expect(log.stdout).toContain('the config vars were left as they were');
    expect(log.stdout).toContain('the postgres add-on was not attached: its database and user were dropped');

    // Before the fix DATABASE_URL stayed stored, and this deploy crashed with it.
    const next = await m().cli('config:set', APP, 'FOO=after');
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(await serve()).toEqual(expect.objectContaining({ foo: 'after', database: false }));

    // Not half-attached: the same add-on attaches cleanly once the app takes it.
    expect((await m().cli('config:unset', APP, 'REFUSE_DATABASE')).code).toBe(0);
    const good = await m().cli('addons:create', APP, 'postgres');
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(Object.keys(await config()).sort()).toEqual(['DATABASE_URL', 'FOO', 'POSTGRES_URL']);
    expect(await onServer()).toEqual({ databases: 1, roles: 1 });
    expect(await serve()).toMatchObject({ database: true });
  });
});
