// Metrics end to end: requests through the router show up in /metrics (Prometheus text, admin token only),
// in the app's minute series, and in `minicloud metrics`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MinutePoint } from '../../src/core/index.ts';
import { fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startRedis } from '../helpers/redis.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let mc: Minicloud;
const APP = 'metered';

const scrape = async (token?: string) => {
  const res = await fetch(`${mc.apiUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};
const count = (text: string, cls: string) =>
  Number(new RegExp(`^minicloud_router_requests_total\\{app="${APP}",status_class="${cls}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  await mc.api('POST', '/api/apps', { name: APP });
  const r = await push(fixtureRepo('node-hello'), mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
  for (let i = 0; i < 10; i++) expect((await get(mc.httpPort, `${APP}.localhost`)).status).toBe(200);
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

it('serves Prometheus text with the router counts behind the admin token', async () => {
  const text = await until('10 requests counted', async () => {
    const s = await scrape(mc.token);
    expect(s.status).toBe(200);
    expect(s.type).toMatch(/^text\/plain; version=0\.0\.4/);
    return count(s.text, '2xx') >= 10 ? s.text : undefined;
  });
  expect(text).toMatch(/^# HELP minicloud_router_requests_total .+$/m);
  expect(text).toMatch(/^# TYPE minicloud_router_requests_total counter$/m);
  expect(text).toMatch(/^# TYPE minicloud_router_request_duration_seconds histogram$/m);
  expect(text).toMatch(new RegExp(`^minicloud_router_request_duration_seconds_count\\{app="${APP}"\\} \\d+$`, 'm'));
  expect(text).toMatch(/^minicloud_process_resident_memory_bytes \d+$/m);
  // Every sample line is `name{labels} value`.
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][\w:]*(\{.*\})? \S+$/);
});

it('refuses /metrics without the token, or with a wrong one', async () => {
  expect((await scrape()).status).toBe(401);
  expect((await scrape('not-the-token')).status).toBe(401);
});

it('samples the instances from /proc', async () => {
  const text = await until('an instance sample', async () => {
    const s = await scrape(mc.token);
    return /^minicloud_instance_memory_bytes\{app="metered",type="web",instance="[^"]+"\} [1-9]\d*$/m.test(s.text) ? s.text : undefined;
  });
  expect(text).toMatch(/^minicloud_instance_cpu_seconds_total\{app="metered",type="web",instance="[^"]+"\} [\d.e-]+$/m);
});

it("keeps the app's minutes, and the CLI prints them", async () => {
  const res = await mc.api<{ minutes: MinutePoint[] }>('GET', `/api/apps/${APP}/metrics`);
  expect(res.status).toBe(200);
  const total = res.body.minutes.reduce((n, m) => n + m.requests, 0);
  expect(total).toBeGreaterThanOrEqual(10);
  const busy = res.body.minutes.find((m) => m.requests > 0)!;
  expect(busy.errors).toBe(0);
  expect(busy.p50Ms).toBeGreaterThanOrEqual(0);
  expect(busy.p99Ms).toBeGreaterThanOrEqual(busy.p50Ms!);
  expect(Object.values(busy.statuses).reduce((a, b) => a + b, 0)).toBe(busy.requests); // the charts' bars by status class
  expect((await mc.api('GET', '/api/apps/nope/metrics')).status).toBe(404);

  const cli = await mc.cli('metrics', APP);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/^MINUTE\s+REQUESTS\s+4XX\s+5XX\s+P50\s+P95\s+P99\s+CPU\s+MEMORY$/m);
  expect(cli.stdout).toMatch(/^\d\d:\d\d\s+\d+\s+\d+\s+0\s+\d+ms\s+\d+ms\s+\d+ms/m);
  const json = await mc.cli('metrics', APP, '--json');
  expect((JSON.parse(json.stdout) as { minutes: unknown[] }).minutes.length).toBeGreaterThan(0);
});

it('keeps the minutes across a restart, over the ranges the API takes', async () => {
  const before = await mc.api<{ minutes: MinutePoint[] }>('GET', `/api/apps/${APP}/metrics?range=24h`);
  const counted = before.body.minutes.reduce((n, m) => n + m.requests, 0);
  expect(counted).toBeGreaterThanOrEqual(10);
  await mc.restart();
  for (const [range, step] of [['1h', ''], ['24h', '&step=10'], ['7d', '']]) {
    const res = await mc.api<{ range: string; stepMinutes: number; minutes: MinutePoint[] }>('GET', `/api/apps/${APP}/metrics?range=${range}${step}`);
    expect(res.status).toBe(200);
    expect(res.body.range).toBe(range);
    // At least what was counted before (requests since, like the ones of the test above, add to it).
    expect(res.body.minutes.reduce((n, m) => n + m.requests, 0)).toBeGreaterThanOrEqual(counted);
  }
  const bad = await mc.api<{ error: string; hint: string }>('GET', `/api/apps/${APP}/metrics?range=1y`);
  expect(bad.status).toBe(400);
  expect(bad.body).toEqual({ error: 'unknown metrics range "1y"', hint: 'use one of 1h, 24h, 7d' });
  expect((await mc.api('GET', `/api/apps/${APP}/metrics?range=7d&step=1`)).status).toBe(400);
  const cli = await mc.cli('metrics', APP, '--range', '7d');
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d\s+\d+/m);
});
