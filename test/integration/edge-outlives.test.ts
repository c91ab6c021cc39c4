// The edge outlives the control plane: the router daemon keeps two apps answering through minicloud's kill -9,
// its SIGTERM with slow requests in flight, a restart of the router itself, and serves HTTPS, the access log and
// a clear page for a sleeping app while minicloud is down.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterDaemonReport } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { load } from '../helpers/load.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, httpsGet, until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { ControlClient } from '../../src/router-daemon/index.ts';

let redis: TestRedis;
let mc: Minicloud;
const APPS = ['edge1', 'edge2'] as const;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  const repo = fixtureRepo('node-slow');
  for (const app of APPS) {
    expect((await mc.cli('apps:create', app)).code).toBe(0);
    const r = await push(repo, mc.gitUrl(app));
    expect(r.code, r.output).toBe(0);
  }
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** Steady requests to both apps while `during` runs; every one must succeed. */
async function underLoad(during: () => Promise<void>): Promise<void> {
  const loads = APPS.map((app) => load(mc.httpPort, `${app}.localhost`, 2));
  await pause(500);
  await during();
  await pause(1000);
  const results = await Promise.all(loads.map((l) => l.stop()));
  for (const r of results) {
    expect(r.failures.slice(0, 5), `${r.failures.length} of ${r.total} failed`).toEqual([]);
    expect(r.total).toBeGreaterThan(20);
  }
}

const daemon = async () => (await mc.api<RouterDaemonReport>('GET', '/api/router')).body;

describe('the router daemon', () => {
  it('serves both apps through a kill -9 of minicloud and its restart: 0 failed requests', async () => {
    const before = await daemon();
    await underLoad(async () => {
      await mc.crash();
      await pause(3000); // minicloud is gone for a while
      await mc.start();
    });
    expect((await daemon()).pid).toBe(before.pid); // the same daemon, found again
  });

  it('lets 20 slow requests in flight finish while minicloud stops (SIGTERM) and starts again', async () => {
    const slow = Array.from({ length: 20 }, (_, i) => get(mc.httpPort, `${APPS[i % 2]}.localhost`, '/?ms=3000'));
    await pause(500);
    await mc.restart();
    const replies = await Promise.all(slow);
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
  });

  it('restarts its own workers (`minicloud router:restart`) with 0 failed requests', async () => {
    const before = await daemon();
    await underLoad(async () => {
      const r = await mc.cli('router:restart');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('done');
    });
    const after = await daemon();
    expect(after.pid).toBe(before.pid);
    expect(after.workerPids.some((p) => before.workerPids.includes(p))).toBe(false);
  });

  it('lets a slow request finish across a router restart', async () => {
    const slow = get(mc.httpPort, `${APPS[0]}.localhost`, '/?ms=2000');
    await pause(300);
    expect((await mc.cli('router:restart')).code).toBe(0);
    expect((await slow).status).toBe(200);
  });

  it('replaces a router daemon that was killed (kill -9) within seconds, with the same routes', async () => {
    const before = await daemon();
    process.kill(before.pid, 'SIGKILL');
    const back = await until('the app served by a new router daemon', async () => {
      const r = await get(mc.httpPort, `${APPS[0]}.localhost`).catch(() => null);
      return r?.status === 200 ? r : undefined;
    }, 30_000);
    expect(back.body).toContain('ok');
    expect((await daemon()).pid).not.toBe(before.pid);
    // minicloud says so once its own status poll sees the new daemon, which may be just after the first answer.
    await until('minicloud to say it started another router daemon', async () => (mc.output().includes('the router daemon was gone; started another') ? true : undefined));
  });

  it('answers ACME challenges while minicloud is down (the tokens live in the router daemon)', async () => {
    const token = `tok${Date.now()}`;
    const dir = join(mc.dataDir, 'router');
    await new ControlClient(join(dir, 'control.sock')).challenges({ [token]: `${token}.thumbprint` });
    await mc.crash();
    try {
      const r = await get(mc.httpPort, 'any.example.org', `/.well-known/acme-challenge/${token}`);
      expect(r).toMatchObject({ status: 200, body: `${token}.thumbprint` });
    } finally {
      await mc.start();
    }
  });

  it('while minicloud is down: HTTPS answers, the access log is written, and a sleeping app gets a page that says why', async () => {
    const slept = await mc.api<{ state: string }>('PUT', `/api/apps/${APPS[1]}/sleep`, { afterSeconds: 900, now: true });
    expect(slept.body.state).toBe('sleeping');
    await mc.crash();
    try {
      const secure = await httpsGet(mc.httpsPort, `${APPS[0]}.localhost`, '/?over=tls');
      expect(secure.status).toBe(200);

      const probe = `/?probe=${Date.now()}`;
      expect((await get(mc.httpPort, `${APPS[0]}.localhost`, probe)).status).toBe(200);
      const logFile = join(mc.dataDir, 'logs', APPS[0], 'router.log');
      await until('the access log line', async () => (existsSync(logFile) && readFileSync(logFile, 'utf8').includes(probe) ? true : undefined));

      const t0 = Date.now();
      const asleep = await get(mc.httpPort, `${APPS[1]}.localhost`);
      expect(asleep.status).toBe(503);
      expect(asleep.body).toContain('minicloud, which wakes it, is not running');
      expect(Date.now() - t0).toBeLessThan(9000); // bounded: not the 60 s a wake may take
    } finally {
      await mc.start();
    }
    // minicloud back: the wake asked for meanwhile, or the next request, brings the app up.
    const woken = await until('the sleeping app woken', async () => {
      const r = await get(mc.httpPort, `${APPS[1]}.localhost`);
      return r.status === 200 ? r : undefined;
    }, 60_000);
    expect(woken.body).toContain('ok');
  });
});
