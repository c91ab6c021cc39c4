// The audit log: a scripted session's changes appear with the right actor, action, app and address, and never a config value.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { requestFrom } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
const SECRET_VALUE = 'hunter2-do-not-log-me';

interface Entry { actor: string; action: string; app: string | null; detail: Record<string, unknown>; address: string; status: number | null }

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);

it("records each action of a session with who did it, from where, and never a config var's value", async () => {
  ok(await mc.cli('apps:create', 'shop'));
  ok(await mc.cli('config:set', 'shop', `API_KEY=${SECRET_VALUE}`, 'MODE=x'));
  ok(await mc.cli('config:unset', 'shop', 'MODE'));
  ok(await mc.cli('domains:add', 'shop', 'www.shop.test'));
  const made = await mc.cli('tokens:create', 'ci', '--role', 'deploy', '--app', 'shop');
  ok(made);
  const ci = /^\s+(mc_\S+)$/m.exec(made.stdout)![1]!;
  const repo = fixtureRepo('node-hello');
  const pushed = await push(repo, `http://ci:${ci}@127.0.0.1:${mc.apiPort}/git/shop.git`);
  expect(pushed.code, pushed.output).toBe(0);
  rmSync(repo, { recursive: true, force: true });
  ok(await mc.cli('tokens:revoke', 'ci'));
  const json = { 'content-type': 'application/json' };
  expect((await requestFrom('127.0.0.7', `${mc.apiUrl}/dashboard/session`, { method: 'POST', headers: json, body: '{"token":"wrong"}' })).status).toBe(401);
  expect((await requestFrom('127.0.0.8', `${mc.apiUrl}/api/apps`, { headers: { authorization: `Bearer ${'x'.repeat(40)}` } })).status).toBe(401);
  expect((await requestFrom('127.0.0.6', `${mc.apiUrl}/dashboard/session`, { method: 'POST', headers: json, body: JSON.stringify({ token: mc.token }) })).status).toBe(201);

  const all = await mc.api<Entry[]>('GET', '/api/audit?n=100');
  expect(JSON.stringify(all.body)).not.toContain(SECRET_VALUE);
  const seen = all.body.map((e) => [e.actor, e.action, e.app, e.address]);
  expect(seen).toEqual([
    ['token admin', 'apps:create', 'shop', '127.0.0.1'],
    ['token admin', 'config:update', 'shop', '127.0.0.1'],
    ['token admin', 'config:update', 'shop', '127.0.0.1'],
    ['token admin', 'domains:add', 'shop', '127.0.0.1'],
    ['token admin', 'tokens:create', null, '127.0.0.1'],
    ['token ci', 'git:push', 'shop', '127.0.0.1'],
    ['token admin', 'tokens:revoke', null, '127.0.0.1'],
    ['-', 'login:failed', null, '127.0.0.7'],
    ['-', 'token:failed', null, '127.0.0.8'],
    ['token admin', 'login', null, '127.0.0.6'],
  ]);
  expect(all.body[1]!.detail).toEqual({ set: ['API_KEY', 'MODE'], unset: [] });
  expect(all.body[2]!.detail).toEqual({ set: [], unset: ['MODE'] });
  expect(all.body[4]!.detail).toEqual({ name: 'ci', role: 'deploy', apps: ['shop'] });

  const cli = await mc.cli('audit', '--app', 'shop');
  ok(cli);
  expect(cli.stdout).toMatch(/^TIME\s+WHO\s+WHAT\s+APP\s+FROM\s+DETAIL$/m);
  expect(cli.stdout).toMatch(/token admin\s+config:update\s+shop\s+127\.0\.0\.1\s+set=API_KEY,MODE unset=$/m);
  expect(cli.stdout).toMatch(/token ci\s+git:push\s+shop/);
  expect(cli.stdout).not.toContain('tokens:create'); // not about the app
  expect(cli.stdout).not.toContain(SECRET_VALUE);
  expect((await mc.cli('audit', '-n', '2')).stdout.trim().split('\n')).toHaveLength(3);
});

it('shows a read token only the entries of the apps it may see', async () => {
  ok(await mc.cli('apps:create', 'other'));
  const t = await mc.api<{ token: string }>('POST', '/api/tokens', { name: 'viewer', role: 'read', apps: ['other'] });
  const seen = await requestFrom('127.0.0.1', `${mc.apiUrl}/api/audit?n=1000`, { headers: { authorization: `Bearer ${t.body.token}` } });
  expect(seen.status).toBe(200);
  const entries = JSON.parse(seen.body) as Entry[];
  expect(entries.map((e) => [e.action, e.app])).toEqual([['apps:create', 'other']]);
});
