// Fuzzing the router (both paths, in processes of their own) and minicloud's API and router with thousands of seeded random and mutated requests: both stay up, file descriptors and memory come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/routes/index.ts';
import { PATHS, startEchoApp, startRouterProcess, waitUntil, type EchoApp, type RouterProcess } from '../helpers/echo-app.ts';
import { blast, mutate, noise, procStats, Rng, routerSeeds } from '../helpers/fuzz.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { rawExchange, statuses } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

// FUZZ_SEED=<n> replays a run; every run prints its seed.
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
const COUNT = 1500;
const BUDGET_MS = 25_000;
/** Open descriptors allowed above the baseline once the fuzz is over (a pooled link or two, a log file). */
const FD_SLACK = 8;
/** Resident memory allowed above the baseline (MB): generous, a leak of every connection would be far more. */
const RSS_SLACK_MB = 80;

const H = 'Host: echo.localhost\r\n';
const ROUTER_SEEDS = routerSeeds('echo.localhost');

/** Mostly mutated seeds, some pure noise. */
const generator = (rng: Rng, seeds: Buffer[]) => () => (rng.next() < 0.1 ? noise(rng) : mutate(rng, rng.pick(seeds)));

/** Waits until the process's descriptors and memory are back near `base`; returns what they came to. */
async function settled(pid: number, base: { fds: number; rssMb: number }): Promise<{ fds: number; rssMb: number }> {
  let now = procStats(pid);
  // Kept-alive links to apps close after their idle timeout (4 s): wait for them, then judge.
  await waitUntil(`process ${pid}'s descriptors back to ${base.fds}`, () => (now = procStats(pid)).fds <= base.fds + 2, 12_000).catch(() => {});
  return now;
}

describe.each(PATHS)('the router on its %s path', (path) => {
  let app: EchoApp;
  let router: RouterProcess;
  beforeAll(async () => {
    app = await startEchoApp();
    const routes: Route[] = [{ app: 'echo', hosts: ['echo.localhost'], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running', maxBodyBytes: 1024 * 1024 }];
    router = await startRouterProcess(routes, path);
  });
  afterAll(async () => {
    await router?.stop();
    await app?.close();
  });

  it(`stays up through ${COUNT} random and mutated requests, its descriptors and memory back near their baseline`, async () => {
    const ok = async () => statuses((await rawExchange(router.port, `GET /ok HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 5000)).text);
    for (let i = 0; i < 20; i++) expect(await ok()).toEqual([200]); // warm: pools, code paths
    const base = procStats(router.pid);
    const rng = new Rng(SEED);
    const r = await blast(router.port, rng, generator(rng, ROUTER_SEEDS), { count: COUNT, budgetMs: BUDGET_MS });
    const after = await settled(router.pid, base);
    console.log(`router ${path} path, seed ${SEED}: ${r.sent} requests, answers ${JSON.stringify(r.statuses)}; fds ${base.fds} -> ${after.fds}, RSS ${base.rssMb} -> ${after.rssMb} MB`);
    expect(r.sent, `seed ${SEED}`).toBeGreaterThan(300);
    expect(await ok(), `seed ${SEED}`).toEqual([200]);
    expect(after.fds, `seed ${SEED}`).toBeLessThanOrEqual(base.fds + FD_SLACK);
    expect(after.rssMb, `seed ${SEED}`).toBeLessThanOrEqual(base.rssMb + RSS_SLACK_MB);
    expect(app.parseErrors.filter((e) => e !== 'HPE_INVALID_EOF_STATE' && e !== 'ECONNRESET'), `seed ${SEED}: bytes the app could not parse`).toEqual([]);
  });
});

describe('minicloud (API and router in one process)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let mc: Minicloud;
  beforeAll(async () => {
    redis = await startRedis();
    mc = await startMinicloud(redis.url);
    expect((await mc.api('POST', '/api/apps', { name: 'fuzz' })).status).toBe(201);
  });
  afterAll(async () => {
    await mc?.stop();
    await redis?.stop();
  });

  it(`stays up through ${COUNT} random and mutated API requests, authenticated or not, and as many to its router`, async () => {
    const auth = `Authorization: Bearer ${mc.token}\r\n`;
    const A = `Host: 127.0.0.1\r\n${auth}`;
    const json = (method: string, path: string, body: string) => `${method} ${path} HTTP/1.1\r\n${A}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const apiSeeds = [
      `GET /api/apps HTTP/1.1\r\n${A}\r\n`,
      `GET /api/apps/fuzz HTTP/1.1\r\n${A}\r\n`,
      `GET /api/apps/fuzz/config HTTP/1.1\r\n${A}\r\n`,
      `GET /api/apps/fuzz/releases HTTP/1.1\r\n${A}\r\n`,
      `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET /api/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n\r\n`,
      `GET /git/fuzz.git/info/refs?service=git-receive-pack HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      json('PATCH', '/api/apps/fuzz/config', '{"FOO":"bar","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
      json('PUT', '/api/apps/fuzz/router', '{"name":"max-body","value":"50m"}'),
      json('POST', '/api/apps', '{"name":"fuzz-two"}'),
      json('POST', '/api/apps/fuzz/domains', '{"domain":"fuzz.example.com"}'),
      json('PUT', '/api/apps/fuzz/router', `{"timeout":${'['.repeat(200)}${']'.repeat(200)}}`),
      `POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\ntoken=wrong`,
    ].map((s) => Buffer.from(s, 'latin1'));
        const alive = async () => (await mc.api('GET', '/api/apps')).status;
    for (let i = 0; i < 10; i++) expect(await alive()).toBe(200);
    await rawExchange(mc.httpPort, `GET / HTTP/1.1\r\nHost: fuzz.localhost\r\nConnection: close\r\n\r\n`, 2000);
    const base = procStats(mc.pid()!);
    const rng = new Rng(SEED);
    // From 127.0.0.2: its failed credentials get it a 429 for a while (the API's per-address limit), not the checks below.
    const api = await blast(mc.apiPort, rng, generator(rng, apiSeeds), { count: COUNT, budgetMs: BUDGET_MS, localAddress: '127.0.0.2' });
    const routed = await blast(mc.httpPort, rng, generator(rng, routerSeeds('fuzz.localhost')), { count: COUNT / 3, budgetMs: BUDGET_MS / 2 });
    const after = await settled(mc.pid()!, base);
    console.log(`minicloud, seed ${SEED}: ${api.sent} API requests, answers ${JSON.stringify(api.statuses)}; ${routed.sent} router requests, answers ${JSON.stringify(routed.statuses)}; fds ${base.fds} -> ${after.fds}, RSS ${base.rssMb} -> ${after.rssMb} MB`);
    expect(api.sent + routed.sent, `seed ${SEED}`).toBeGreaterThan(500);
    expect(await alive(), `seed ${SEED}`).toBe(200);
    expect(after.fds, `seed ${SEED}`).toBeLessThanOrEqual(base.fds + FD_SLACK);
    expect(after.rssMb, `seed ${SEED}`).toBeLessThanOrEqual(base.rssMb + RSS_SLACK_MB);
  });
});
