// People: users:add a member of one app with a password, who logs in to the dashboard, sees and changes only that app,
// makes their own CLI token; an admin sees who is logged in and ends their session; users:remove ends everything.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { requestFrom } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  for (const app of ['shop', 'blog']) expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

const from = (address: string, path: string, o: { method?: string; cookie?: string; csrf?: string; bearer?: string; body?: unknown } = {}) =>
  requestFrom(address, mc.apiUrl + path, {
    method: o.method ?? 'GET',
    headers: {
      'content-type': 'application/json',
      ...(o.cookie && { cookie: o.cookie }), ...(o.csrf && { 'x-csrf-token': o.csrf }), ...(o.bearer && { authorization: `Bearer ${o.bearer}` }),
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });

it('lets a member log in, see and change only their apps, and make their own CLI token; an admin ends their session', async () => {
  const added = await mc.cli('users:add', 'Alice@Example.com', '--role', 'member', '--app', 'shop');
  expect(added.code, added.stderr).toBe(0);
  const generated = /^\s+(\S{20,})$/m.exec(added.stdout)![1]!; // a made-up password, shown once
  expect((await mc.cli('users')).stdout).toMatch(/^alice@example\.com\s+member\s+shop\s/m);
  expect((await from('127.0.0.50', '/dashboard/session', { method: 'POST', body: { email: 'alice@example.com', password: 'wrong password!' } })).status).toBe(401);
  const failed = (await mc.api<{ action: string; detail: Record<string, unknown> }[]>('GET', '/api/audit?n=1')).body[0]!;
  expect(failed).toMatchObject({ action: 'login:failed', detail: { email: 'alice@example.com' } });
  expect(JSON.stringify(failed)).not.toContain('wrong password');

  // A second person, with a password of their choosing.
  const bob = await mc.api('POST', '/api/users', { email: 'bob@example.com', role: 'member', apps: ['blog'], password: PASSWORD });
  expect(bob.status).toBe(201);
  expect(JSON.stringify(bob.body)).not.toContain(PASSWORD);

  const login = await from('127.0.0.51', '/dashboard/session', { method: 'POST', body: { email: 'alice@example.com', password: generated } });
  expect(login.status).toBe(201);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const csrf = (JSON.parse(login.body) as { csrf: string }).csrf;
  const me = JSON.parse((await from('127.0.0.51', '/api/me', { cookie })).body);
  expect(me).toMatchObject({ name: 'alice@example.com', role: 'member', apps: ['shop'], user: 'alice@example.com' });
  const apps = JSON.parse((await from('127.0.0.51', '/api/apps', { cookie })).body) as { name: string }[];
  expect(apps.map((a) => a.name)).toEqual(['shop']);
  expect((await from('127.0.0.51', '/api/apps/blog', { cookie })).status).toBe(403);
  expect((await from('127.0.0.51', '/api/apps/shop/config', { method: 'PATCH', cookie, csrf, body: { GREETING: 'hi' } })).status).toBe(200);
  expect((await from('127.0.0.51', '/api/apps/blog/config', { method: 'PATCH', cookie, csrf, body: { GREETING: 'hi' } })).status).toBe(403);
  expect((await from('127.0.0.51', '/api/apps', { method: 'POST', cookie, csrf, body: { name: 'mine' } })).status).toBe(403);
  expect((await from('127.0.0.51', '/api/users', { cookie })).status).toBe(403);
  expect((await from('127.0.0.51', '/api/tokens', { method: 'POST', cookie, csrf, body: { name: 'x', role: 'admin' } })).status).toBe(403);

  // Bob's first CLI token, with his email and password; it acts as him.
  const made = await requestFrom('127.0.0.52', `${mc.apiUrl}/api/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`bob@example.com:${PASSWORD}`).toString('base64')}` }, body: '{"name":"bob-laptop"}',
  });
  expect(made.status, made.body).toBe(201);
  const bobToken = (JSON.parse(made.body) as { token: string }).token;
  const bobApps = JSON.parse((await from('127.0.0.52', '/api/apps', { bearer: bobToken })).body) as { name: string }[];
  expect(bobApps.map((a) => a.name)).toEqual(['blog']);
  expect((await from('127.0.0.52', '/api/tokens', { bearer: bobToken })).body).toContain('bob-laptop');

  // users:set widens Bob's apps: his token sees both from its next request; a member cannot change anyone's role.
  const widened = await mc.cli('users:set', 'bob@example.com', '--role', 'member', '--app', 'blog', '--app', 'shop');
  expect(widened.code, widened.stderr).toBe(0);
  expect(widened.stdout).toContain('bob@example.com is now a member of blog, shop');
  const wider = JSON.parse((await from('127.0.0.52', '/api/apps', { bearer: bobToken })).body) as { name: string }[];
  expect(wider.map((a) => a.name).sort()).toEqual(['blog', 'shop']);
  expect((await from('127.0.0.51', '/api/users/alice@example.com', { method: 'PATCH', cookie, csrf, body: { role: 'admin' } })).status).toBe(403);
  const unknown = await mc.cli('users:set', 'nobody@example.com', '--role', 'admin');
  expect(unknown.code).not.toBe(0);
  expect(unknown.stderr).toContain('no user nobody@example.com');

  // The admin sees who is logged in and ends Alice's session.
  const sessions = (await mc.api<{ key: string; who: string; address: string }[]>('GET', '/api/sessions')).body;
  const alice = sessions.find((s) => s.who === 'alice@example.com')!;
  expect(alice).toMatchObject({ address: '127.0.0.51' });
  expect((await mc.cli('sessions')).stdout).toMatch(/alice@example\.com\s+127\.0\.0\.51/);
  expect((await mc.cli('sessions:end', alice.key.slice(0, 12))).code).toBe(0);
  expect((await from('127.0.0.51', '/api/apps', { cookie })).status).toBe(401);

  // Removing Bob ends his token at once.
  expect((await mc.cli('users:remove', 'bob@example.com')).code).toBe(0);
  expect((await from('127.0.0.52', '/api/apps', { bearer: bobToken })).status).toBe(401);

  const audit = (await mc.api<{ actor: string; action: string }[]>('GET', '/api/audit?n=100')).body.map((e) => `${e.actor} ${e.action}`);
  expect(audit).toEqual(expect.arrayContaining(['token admin users:add', '- login:failed', 'alice@example.com login', 'alice@example.com config:update',
    'bob@example.com tokens:create', 'token admin users:set', 'token admin sessions:end', 'token admin users:remove']));
});
