// Heroku habits and small things from the CLI user's side: maintenance mode, and what a never-deployed app looks like
// (in `apps`, and to a visitor of its URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { commitVersion, deployedFixture } from '../helpers/deployed.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

describe('an app never deployed', () => {
  it('is listed as not deployed, and its URL tells to push it, not to create it', async () => {
    expect((await mc.cli('apps:create', 'fresh')).code).toBe(0);
    const list = await mc.cli('apps');
    expect(list.stdout).toMatch(/^fresh\s+-?\s*not deployed\s/m);
    expect((await mc.cli('apps:info', 'fresh')).stdout).toMatch(/State:?\s+not deployed/);
    const page = await get(mc.httpPort, 'fresh.localhost');
    expect(page.status).toBe(404);
    expect(page.body).toContain('Nothing deployed yet');
    expect(page.body).toContain('git push minicloud main');
    expect(page.body).not.toContain('apps:create');
  });

  it('once pushed while stopped, its URL says it is stopped, no longer that nothing is deployed', async () => {
    expect((await mc.cli('apps:create', 'parked')).code).toBe(0);
    expect((await mc.cli('apps:stop', 'parked')).code).toBe(0);
    const r = await push(fixtureRepo('node-hello'), mc.gitUrl('parked'));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('parked is stopped: v1 starts with');
    const page = await until('the stopped page', async () => {
      const p = await get(mc.httpPort, 'parked.localhost');
      return p.body.includes('App stopped') ? p : undefined;
    }, 30_000);
    expect(page.status).toBe(503);
  });
});

describe('maintenance:on|off', () => {
  it('answers visitors with a 503 page and Retry-After while the app keeps running for one-offs; off serves it again', async () => {
    await deployedFixture(mc, 'shop');
    expect((await get(mc.httpPort, 'shop.localhost')).status).toBe(200);
    const on = await mc.cli('maintenance:on', 'shop');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain('Enabling maintenance mode for shop... done');
    const page = await get(mc.httpPort, 'shop.localhost', '/anything');
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('300');
    expect(page.body).toContain('down for maintenance');
    expect((await mc.cli('maintenance', 'shop')).stdout.trim()).toBe('on');
    expect((await mc.cli('apps:info', 'shop')).stdout).toMatch(/Maintenance:?\s+on/);
    expect((await mc.cli('apps')).stdout).toMatch(/^shop\s+v1\s+running, maintenance\s/m);
    const ps = await mc.cli('ps', 'shop');
    expect(ps.stdout).toContain('Maintenance mode is on');
    expect(ps.stdout).toMatch(/web\.1\s+up/);
    const run = await mc.cli('run', 'shop', 'node', '-e', 'console.log("one-off ran")');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('one-off ran');

    const off = await mc.cli('maintenance:off', 'shop');
    expect(off.code, off.stderr).toBe(0);
    expect((await get(mc.httpPort, 'shop.localhost')).status).toBe(200);
    expect((await mc.cli('maintenance', 'shop')).stdout.trim()).toBe('off');
  });

  it('is refused to a token that cannot manage the app', async () => {
    const res = await fetch(`${mc.apiUrl}/api/apps/shop/maintenance`, { method: 'PUT' });
    expect(res.status).toBe(401);
  });
});

describe('small things', () => {
  it('`status` on host processes speaks of the apps\' limits as they hold there, not of containers', async () => {
    const r = await mc.cli('status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('host processes');
    expect(r.stdout).not.toMatch(/container/i);
  });

  it('`--help` and `help <command>` fit in 100 columns', async () => {
    const help = await mc.cli('--help');
    const long = help.stdout.split('\n').filter((l) => l.length > 100);
    expect(long).toEqual([]);
    expect(help.stdout).toContain('apps:set');
    for (const c of ['apps:create', 'config:set', 'logs', 'apps:connect']) {
      const one = await mc.cli('help', c);
      expect(one.stdout.split('\n').filter((l) => l.length > 100), c).toEqual([]);
    }
  });
});

describe('apps:rename', () => {
  it('moves the default URL and keeps domains, config, volumes, logs and releases; the new git URL deploys', async () => {
    const { repo } = await deployedFixture(mc, 'before');
    expect((await mc.cli('config:set', 'before', 'FOO=kept')).code).toBe(0);
    expect((await mc.cli('domains:add', 'before', 'www.renamed.test')).code).toBe(0);
    expect((await mc.cli('storage:add', 'before', '/data')).code).toBe(0);
    const r = await mc.cli('apps:rename', 'before', 'after');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Renaming before to after... done');
    expect(r.stdout).toContain(`git remote set-url minicloud ${mc.apiUrl}/git/after.git`);
    const served = JSON.parse((await get(mc.httpPort, 'after.localhost')).body) as { foo: string };
    expect(served.foo).toBe('kept');
    expect((await get(mc.httpPort, 'www.renamed.test')).status).toBe(200);
    const old = await get(mc.httpPort, 'before.localhost');
    expect(old.status).toBe(404);
    expect(old.body).toContain('No app here');
    expect((await mc.cli('apps:info', 'before')).code).not.toBe(0);
    expect((await mc.cli('storage', 'after')).stdout).toContain('/data');
    expect((await mc.cli('releases', 'after')).stdout).toMatch(/^v1\b/m);
    expect((await mc.cli('logs', 'after', '--build')).stdout).toContain('Building before');

    commitVersion(repo, 'v-after');
    const pushed = await push(repo, mc.gitUrl('after'));
    expect(pushed.code, pushed.output).toBe(0);
    expect(JSON.parse((await get(mc.httpPort, 'after.localhost')).body)).toMatchObject({ version: 'v-after', foo: 'kept' });
    expect((await mc.cli('apps:create', 'taken')).code).toBe(0);
    const taken = await mc.cli('apps:rename', 'after', 'taken');
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('app taken already exists');
    expect((await mc.cli('apps:rename', 'after', 'Bad Name')).stderr).toContain('app name');
  });

  it('is refused while the app deploys, saying why', async () => {
    const { repo } = await deployedFixture(mc, 'busy');
    commitVersion(repo, 'v2');
    const pushing = push(repo, mc.gitUrl('busy'));
    await until('the deploy to build', async () => {
      const d = (await mc.api<{ status: string }[]>('GET', '/api/apps/busy/deploys')).body;
      return d.some((x) => x.status === 'building' || x.status === 'queued') ? true : undefined;
    }, 60_000);
    const r = await mc.cli('apps:rename', 'busy', 'idle');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/busy cannot be renamed while it deploys: deploy \w+ is (queued|building|releasing)/);
    expect((await pushing).code).toBe(0);
    expect((await get(mc.httpPort, 'busy.localhost')).status).toBe(200);
  });
});
