// Access end to end: every route called with each kind of credential, rotation of MINICLOUD_TOKEN, deploy tokens
// pushing with real git, revocation (API, git, dashboard sessions), and the short-token refusal at start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteRule } from '../../src/api/access/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { MINICLOUD_MAIN, startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { requestFrom, type Reply } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
const tokens: Record<string, string> = {};
let nextAddress = 0;

/** A fresh loopback source address per call (127.1.x.y): failed credentials are limited per address. */
function from(): string {
  nextAddress++;
  return `127.1.${Math.floor(nextAddress / 250)}.${(nextAddress % 250) + 1}`;
}

function call(method: string, path: string, o: { bearer?: string; basic?: string; cookie?: string; body?: string; address?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
  if (o.basic) headers.authorization = `Basic ${Buffer.from(`minicloud:${o.basic}`).toString('base64')}`;
  if (o.cookie) headers.cookie = o.cookie;
  return requestFrom(o.address ?? from(), mc.apiUrl + path, { method, headers, body: o.body ?? (method === 'GET' ? undefined : '{}') });
}

const PARAMS: Record<string, string> = { app: 'a', repo: 'a.git', kind: 'redis', domain: 'www.example.com', id: 'nope', name: 'nope', email: 'nobody@example.com', key: 'nope', node: 'nope' };
const urlOf = (r: RouteRule) => r.path.replace(/:(\w+)/g, (_m, k: string) => PARAMS[k]!) + (r.path.endsWith('/info/refs') ? '?service=git-receive-pack' : '');
const guarded = ROUTES.filter((r) => r.permission !== 'public');
const key = (r: RouteRule) => `${r.method} ${r.path}`;

async function statuses(cred: (r: RouteRule) => Parameters<typeof call>[2]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of guarded) out[key(r)] = (await call(r.method, urlOf(r), cred(r))).status;
  return out;
}

const asToken = (t: string) => (r: RouteRule) => (r.path.startsWith('/git/') ? { basic: t } : { bearer: t });

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  for (const app of ['a', 'b']) expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
  const make = async (name: string, role: string, apps: string[] = []) => {
    const r = await mc.api<{ token: string }>('POST', '/api/tokens', { name, role, apps });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    tokens[name] = r.body.token;
  };
  await make('deploy-b', 'deploy', ['b']);
  await make('reader', 'read');
  await make('scraper', 'metrics');
  await make('gone', 'read');
  expect((await mc.api('DELETE', '/api/tokens/gone')).status).toBe(204);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('every route, with each credential', () => {
  const hooks = new Set(guarded.filter((r) => r.permission === 'hook').map(key));
  const expectAll = (got: Record<string, number>, expected: (k: string) => number | 'allowed') => {
    const wrong = Object.entries(got).filter(([k, s]) => {
      const want = expected(k);
      return want === 'allowed' ? s === 401 || s === 403 : s !== want;
    });
    expect(wrong.map(([k, s]) => `${k} → ${s}, expected ${expected(k)}`)).toEqual([]);
  };

  it('answers 401 without credentials', async () => {
    expectAll(await statuses(() => ({})), () => 401);
  });

  it('answers 401 to a revoked token', async () => {
    expectAll(await statuses(asToken(tokens.gone!)), () => 401);
  });

  it("answers 403 to a deploy token for another app, on every route but 'who am I'", async () => {
    expectAll(await statuses(asToken(tokens['deploy-b']!)), (k) => (hooks.has(k) ? 401 : k === 'GET /api/me' ? 'allowed' : 403));
  });

  it('lets a read token see everything but secrets, tokens, people and sessions, and change nothing', async () => {
    const secret = new Set(['GET /api/apps/:app/config', 'GET /api/tokens', 'GET /api/users', 'GET /api/sessions', 'GET /api/server/backup',
      // a backup's files hold the app's data and config: its secrets
      'GET /api/apps/:app/backups/:id/download',
      // a websocket that runs commands in the app (`minicloud run` from a terminal): a change, though a GET
      'GET /api/apps/:app/console',
      // the swarm's join token lets any server join
      'GET /api/nodes/join']);
    expectAll(await statuses(asToken(tokens.reader!)), (k) => (hooks.has(k) ? 401 : k.startsWith('GET ') && !secret.has(k) && !k.startsWith('GET /git/') ? 'allowed' : 403));
  });

  it('lets a metrics token read /metrics only', async () => {
    expectAll(await statuses(asToken(tokens.scraper!)), (k) => (hooks.has(k) ? 401 : k === 'GET /metrics' || k === 'GET /api/me' ? 'allowed' : 403));
  });

  it('serves the OpenAPI document without credentials', async () => {
    const doc = JSON.parse((await call('GET', '/api/openapi.json')).body) as { paths: Record<string, Record<string, { 'x-minicloud-permission': string }>> };
    expect(doc.paths['/api/apps/{app}/config']!.get!['x-minicloud-permission']).toBe('app:manage');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
  });

  it('refuses an undeclared route before any handler (404)', async () => {
    expect((await call('GET', '/api/nope', { bearer: mc.token })).status).toBe(404);
    expect((await call('POST', '/api/apps/a/ps', { bearer: mc.token })).status).toBe(404);
  });

  it('lists only the apps a scoped read token covers', async () => {
    const scoped = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'reader-b', role: 'read', apps: ['b'] });
    const list = await call('GET', '/api/apps', { bearer: scoped.body.token });
    expect((JSON.parse(list.body) as { name: string }[]).map((a) => a.name)).toEqual(['b']);
    expect((await call('GET', '/api/apps/a', { bearer: scoped.body.token })).status).toBe(403);
  });
});

describe('nodes on a single server', () => {
  it('says there are none, and where nodes come from', async () => {
    for (const args of [['nodes'], ['nodes:add'], ['nodes:drain', 'x']]) {
      const r = await mc.cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('one server: it has no nodes');
      expect(r.stderr).toContain('MINICLOUD_RUNTIME=swarm');
    }
  });
});

describe('tokens', () => {
  it('are created, listed and revoked with the CLI; the secret is printed once and stored only as a hash', async () => {
    const made = await mc.cli('tokens:create', 'ci-a', '--role', 'deploy', '--app', 'a');
    expect(made.code, made.stderr).toBe(0);
    const secret = /^\s+(mc_\S+)$/m.exec(made.stdout)![1]!;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    tokens['ci-a'] = secret;
    const list = await mc.cli('tokens');
    expect(list.stdout).toMatch(/^ci-a\s+deploy\s+a\s+\S+ \S+\s+never$/m);
    expect(list.stdout).not.toContain(secret);
    const bad = await mc.cli('tokens:create', 'x', '--role', 'deploy');
    expect(bad.stderr).toContain('a deploy token is for named apps');
    expect((await mc.cli('tokens:revoke', 'admin')).stderr).toContain('change MINICLOUD_TOKEN');
  });

  it('lets a deploy token push its app with git, not another app, and not read its config; revoked, its next push is refused', async () => {
    const repo = fixtureRepo('node-hello');
    const url = (app: string) => `http://ci:${tokens['ci-a']}@127.0.0.1:${mc.apiPort}/git/${app}.git`;
    const ok = await push(repo, url('a'));
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toContain('is live');
    const other = await push(repo, url('b'));
    expect(other.code).not.toBe(0);
    expect(other.output).toMatch(/token ci-a \(deploy on a\) may not: git: advertise refs.*\(app b\)/);
    expect((await call('GET', '/api/apps/a/config', { bearer: tokens['ci-a'] })).status).toBe(403);
    expect((await call('GET', '/api/apps/a/logs?build=1', { bearer: tokens['ci-a'] })).status).toBe(200);
    expect((await mc.cli('tokens')).stdout).not.toMatch(/^ci-a .*never$/m); // last used is recorded
    expect((await mc.cli('tokens:revoke', 'ci-a')).code).toBe(0);
    const after = await push(repo, url('a'));
    expect(after.code).not.toBe(0);
    expect(after.output).toMatch(/invalid token|Authentication failed/);
    rmSync(repo, { recursive: true, force: true });
  });

  it('ends the dashboard sessions made with a token when it is revoked', async () => {
    const t = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'browser', role: 'read' });
    const login = await call('POST', '/dashboard/session', { body: JSON.stringify({ token: t.body.token }) });
    expect(login.status).toBe(201);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await call('GET', '/api/apps', { cookie })).status).toBe(200);
    expect((await mc.api('DELETE', '/api/tokens/browser')).status).toBe(204);
    expect((await call('GET', '/api/apps', { cookie })).status).toBe(401);
  });
});

describe('destroying an app', () => {
  it('takes it out of the tokens scoped to it, so an app made later under its name is not theirs', async () => {
    expect((await mc.api('POST', '/api/apps', { name: 'temp' })).status).toBe(201);
    const t = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'temp-ci', role: 'read', apps: ['temp'] });
    expect((await call('GET', '/api/apps/temp', { bearer: t.body.token })).status).toBe(200);
    expect((await mc.api('DELETE', '/api/apps/temp?confirm=temp')).status).toBe(204);
    expect((await mc.api('POST', '/api/apps', { name: 'temp' })).status).toBe(201);
    expect((await call('GET', '/api/apps/temp', { bearer: t.body.token })).status).toBe(403);
    expect((await mc.api('DELETE', '/api/apps/temp?confirm=temp')).status).toBe(204);
  });
});

describe('MINICLOUD_TOKEN', () => {
  it('refuses to start with a token shorter than 32 characters, saying how to make one', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-short-'));
    try {
      const r = spawnSync(process.execPath, [MINICLOUD_MAIN], {
        env: { ...process.env, MINICLOUD_DATA: dataDir, MINICLOUD_TOKEN: 'short-token', REDIS_URL: redis.url, MINICLOUD_API_PORT: '0', MINICLOUD_HTTP_PORT: '0', MINICLOUD_HTTPS_PORT: 'off', MINICLOUD_RUNTIME: 'process' },
        encoding: 'utf8', timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('MINICLOUD_TOKEN is 11 characters long; tokens must have at least 32');
      expect(r.stderr).toContain('openssl rand -hex 32');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is the admin token while set: restarted with another, the old one gets 401 on /api, /git and /metrics', async () => {
    const old = mc.token;
    await mc.restart({ MINICLOUD_TOKEN: `b-${'x'.repeat(40)}` });
    expect((await call('GET', '/api/apps', { bearer: old })).status).toBe(401);
    expect((await call('GET', '/git/a.git/info/refs?service=git-receive-pack', { basic: old })).status).toBe(401);
    expect((await call('GET', '/metrics', { bearer: old })).status).toBe(401);
    expect((await mc.api('GET', '/api/apps')).status).toBe(200);
  });
});
