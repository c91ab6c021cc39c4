// Heroku habits and small things from the CLI user's side: maintenance mode, and what a never-deployed app looks like
// (in `apps`, and to a visitor of its URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedFixture } from '../helpers/deployed.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get } from '../helpers/net.ts';
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
