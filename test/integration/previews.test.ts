// Preview apps per branch, end to end with git: a push of a matching branch makes <app>-<branch> at its own URL,
// serving that branch's code with the parent's config but a PostgreSQL database of its own and none of its domains;
// a second push updates it; the cap refuses the next one, saying so; deleting the branch destroys all of it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { AddonInfo, PreviewsInfo } from '../../src/core/index.ts';
import { commitAll, fixtureRepo, git, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { SERVICES_ENV, requireService, setupOrFailEach } from '../helpers/services.ts';

const APP = `pv-${randomBytes(3).toString('hex')}`;
const PREVIEW = `${APP}-feature-x`;
let redis: TestRedis | undefined;
let mc: Minicloud;
let repo: string;

const env = SERVICES_ENV as Record<string, string>;
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: env.MINICLOUD_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}
const exists = (what: 'pg_database' | 'pg_roles', name: string) =>
  admin(async (c) => (await c.query(`SELECT 1 FROM ${what} WHERE ${what === 'pg_database' ? 'datname' : 'rolname'} = $1`, [name])).rowCount === 1);
const answer = async (app: string, path = '/') => {
  const r = await get(mc.httpPort, `${app}.localhost`, path);
  return { status: r.status, body: r.body };
};
const setGreeting = (text: string) => {
  const file = join(repo, 'server.js');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/send\(200, \{ app: '[^']*' \}\)/, `send(200, { app: '${text}' })`));
};
const config = async (app: string) => (await mc.api<Record<string, string>>('GET', `/api/apps/${app}/config`)).body;

setupOrFailEach(async () => {
  await requireService('PostgreSQL', () => admin((c) => c.query('SELECT 1')));
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { ...env, MINICLOUD_MAX_PREVIEWS: '1' });
  repo = fixtureRepo('node-addons');
  expect((await mc.cli('apps:create', APP)).code).toBe(0);
  expect((await mc.cli('addons:create', APP, 'postgres')).code).toBe(0);
  expect((await mc.cli('config:set', APP, 'GREETING=hello')).code).toBe(0);
  expect((await mc.cli('domains:add', APP, `www.${APP}.test`)).code).toBe(0);
  const first = await push(repo, mc.gitUrl(APP));
  expect(first.code, first.output).toBe(0);
}, ['postgres']);

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

it('makes a preview app for a pushed feature branch: its code, its own database, the parent config, no domains', async () => {
  const on = await mc.cli('previews:enable', APP, '--branches', 'feature/*', '--expire', '7d');
  expect(on.code, on.stderr).toBe(0);
  expect(on.stdout).toContain(`Previews of ${APP}: branches feature/*, destroyed after 168h without a push`);
  const own = await mc.cli('config:set', APP, '--preview', 'GREETING=preview-hello', 'PAYMENTS_KEY=sk_test_preview_Q7z');
  expect(own.code, own.stderr).toBe(0);
  expect(own.stdout).toContain('Preview-only config vars: GREETING, PAYMENTS_KEY');
  expect(own.stdout + (await mc.cli('previews', APP, '--json')).stdout).not.toContain('sk_test_preview_Q7z');
  git(repo, 'checkout', '-q', '-b', 'feature/x');
  setGreeting('feature-x-1');
  commitAll(repo, 'feature x');
  const r = await push(repo, mc.gitUrl(APP), 'feature/x');
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`v1 is live at http://${PREVIEW}.localhost`);

  expect(await answer(PREVIEW)).toEqual({ status: 200, body: JSON.stringify({ app: 'feature-x-1' }) });
  expect((await answer(APP)).body).toBe(JSON.stringify({ app: 'node-addons' })); // the parent serves its own code
  const db = await answer(PREVIEW, '/postgres');
  expect(JSON.parse(db.body)).toMatchObject({ ok: true });

  const [parent, preview] = [await config(APP), await config(PREVIEW)];
  expect(parent.GREETING).toBe('hello');
  expect(preview).toMatchObject({ GREETING: 'preview-hello', PAYMENTS_KEY: 'sk_test_preview_Q7z', MINICLOUD_PREVIEW_OF: APP, MINICLOUD_PREVIEW_BRANCH: 'feature/x' });
  expect(parent.PAYMENTS_KEY).toBeUndefined();
  expect(preview.DATABASE_URL).toBeTruthy();
  expect(new URL(preview.DATABASE_URL!).pathname).not.toBe(new URL(parent.DATABASE_URL!).pathname);
  const domains = (await mc.api<{ domain: string }[]>('GET', `/api/apps/${PREVIEW}/domains`)).body.map((d) => d.domain);
  expect(domains.some((d) => d.includes(`www.${APP}.test`))).toBe(false);
  const list = (await mc.api<PreviewsInfo>('GET', `/api/apps/${APP}/previews`)).body;
  expect(list.previews).toMatchObject([{ app: PREVIEW, branch: 'feature/x', url: expect.stringContaining(`${PREVIEW}.localhost`) }]);
});

it('updates the preview on the next push of its branch, and keeps its database', async () => {
  const before = (await config(PREVIEW)).DATABASE_URL;
  setGreeting('feature-x-2');
  commitAll(repo, 'feature x again');
  const r = await push(repo, mc.gitUrl(APP), 'feature/x');
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`v2 is live at http://${PREVIEW}.localhost`);
  expect((await answer(PREVIEW)).body).toBe(JSON.stringify({ app: 'feature-x-2' }));
  expect((await config(PREVIEW)).DATABASE_URL).toBe(before);
});

it('refuses a preview beyond the cap, saying so, and keeps the others', async () => {
  git(repo, 'checkout', '-q', '-b', 'feature/y');
  const r = await push(repo, mc.gitUrl(APP), 'feature/y');
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('no preview for feature/y: this server has 1 preview, its limit (MINICLOUD_MAX_PREVIEWS=1)');
  expect((await mc.api('GET', `/api/apps/${APP}-feature-y`)).status).toBe(404);
  expect((await answer(PREVIEW)).status).toBe(200);
});

it('destroys the preview and everything of it when its branch is deleted', async () => {
  const addon = (await mc.api<AddonInfo[]>('GET', `/api/apps/${PREVIEW}/addons`)).body[0]!;
  expect(await exists('pg_database', addon.name)).toBe(true);
  const r = await push(repo, mc.gitUrl(APP), ':feature/x');
  expect(r.code, r.output).toBe(0);
  expect(r.output).toContain(`Branch feature/x deleted, and its preview ${PREVIEW} with it`);
  expect((await mc.api('GET', `/api/apps/${PREVIEW}`)).status).toBe(404);
  expect((await answer(PREVIEW)).status).toBe(404);
  expect(await exists('pg_database', addon.name)).toBe(false);
  expect(await exists('pg_roles', addon.name)).toBe(false);
  for (const dir of ['builds', 'volumes', 'logs']) expect(existsSync(join(mc.dataDir, dir, PREVIEW)), dir).toBe(false);
  expect(existsSync(join(mc.dataDir, 'repos', `${PREVIEW}.git`))).toBe(false);
  expect((await mc.api<PreviewsInfo>('GET', `/api/apps/${APP}/previews`)).body.previews).toEqual([]);
  // The parent is untouched, its database too.
  expect(JSON.parse((await answer(APP, '/postgres')).body)).toMatchObject({ ok: true });
});
