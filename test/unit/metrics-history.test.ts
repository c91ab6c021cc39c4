// Metrics kept 7 days (metrics/history.ts) in a real state file: written in batches, there after a restart,
// rolled up past a day, pruned past a week, read over a range, renamed and destroyed with the app.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/index.ts';
import { combine, historySetting, rollup } from '../../src/metrics/history.ts';
import { Store } from '../../src/store/index.ts';
import type { MinutePoint } from '../../src/core/index.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
let dir: string;
let store: Store;
const clock = { t: T0 };
const now = () => clock.t;
const metrics = () => new Metrics({ instances: () => [], now, defaults: false, history: store.metricPoints });
const total = (ps: MinutePoint[]) => ps.reduce((n, p) => n + p.requests, 0);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-history-'));
  store = new Store(join(dir, 'state.db'));
  store.apps.create('shop');
  store.apps.create('blog');
  clock.t = T0;
});
afterEach(() => {
  if (store.isOpen) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('combine and rollup', () => {
  const p = (t: number, requests: number, p50: number, p99: number, cpu: number | null, mem: number | null): MinutePoint => ({
    t: new Date(t).toISOString(), requests, errors: 1, p50Ms: p50, p95Ms: p99, p99Ms: p99,
    statuses: { '1xx': 0, '2xx': requests - 1, '3xx': 0, '4xx': 0, '5xx': 1 }, cpuPercent: cpu, memoryMb: mem,
  });

  it('adds counts, weighs medians by requests, keeps the worst tail, averages CPU and keeps the highest memory', () => {
    const c = combine(T0, [p(T0, 10, 10, 50, 20, 100), p(T0 + MIN, 30, 30, 400, null, 120)]);
    expect(c).toEqual({
      t: new Date(T0).toISOString(), requests: 40, errors: 2, p50Ms: 25, p95Ms: 400, p99Ms: 400,
      statuses: { '1xx': 0, '2xx': 38, '3xx': 0, '4xx': 0, '5xx': 2 }, cpuPercent: 20, memoryMb: 120,
    });
  });

  it('groups points by period, oldest first', () => {
    const r = rollup([p(T0, 2, 1, 1, 1, 1), p(T0 + 9 * MIN, 3, 1, 1, 1, 1), p(T0 + 10 * MIN, 4, 1, 1, 1, 1)], 10);
    expect(r.map((x) => [x.t, x.requests])).toEqual([[new Date(T0).toISOString(), 5], [new Date(T0 + 10 * MIN).toISOString(), 4]]);
  });
});

describe('Metrics with a history', () => {
  it('writes finished minutes in one batch, and they are there after a restart with the unfinished one', () => {
    const m = metrics();
    for (let i = 0; i < 5; i++) m.observe('shop', 200, 10);
    clock.t += MIN;
    for (let i = 0; i < 3; i++) m.observe('shop', 503, 20);
    m.flush();
    // The finished minute is written, the current one not yet: one row.
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER).map((s) => s.point.requests)).toEqual([5]);
    expect(total(m.minutes('shop', '24h'))).toBe(8); // the pending minute read from memory
    m.observe('shop', 200, 5);
    m.close(); // shutdown: the current minute too
    store.close();

    store = new Store(join(dir, 'state.db'));
    const again = metrics();
    again.observe('shop', 200, 5); // the same minute, after the restart
    const points = again.minutes('shop', '1h');
    expect(points.map((x) => [x.requests, x.errors])).toEqual([[5, 0], [5, 3]]);
    again.close();
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER).map((s) => s.point.requests)).toEqual([5, 5]);
  });

  it('rolls minutes older than a day into 10-minute rows and forgets what is older than a week', () => {
    const m = metrics();
    for (let i = 0; i < 20; i++) {
      m.observe('shop', 200, 10 + i);
      clock.t += MIN;
    }
    m.flush();
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(20);
    clock.t += 24 * 60 * MIN;
    m.flush();
    const rows = store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((r) => [r.spanMinutes, r.point.requests])).toEqual([[10, 10], [10, 10]]);
    expect(total(m.minutes('shop', '24h'))).toBe(0); // out of the last day
    expect(m.minutes('shop', '7d', 60).map((x) => x.requests)).toEqual([20]);
    clock.t += 7 * 24 * 60 * MIN;
    m.flush();
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    m.close();
  });

  it('keeps each app to itself, takes the minutes along on a rename and drops them with the app', () => {
    const m = metrics();
    m.observe('shop', 200, 1);
    m.observe('blog', 200, 1);
    m.observe('blog', 200, 1);
    m.forget('blog'); // before a rename: the minute is written under the old name...
    store.renameApp('blog', 'news', []);
    expect(total(m.minutes('news', '1h'))).toBe(2); // ...and moved with it
    expect(total(m.minutes('shop', '1h'))).toBe(1);
    m.forget('shop');
    store.apps.delete('shop');
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    m.observe('shop', 200, 1); // late: the app is gone, nothing is written for it
    m.close();
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});

describe('MINICLOUD_METRICS_HISTORY', () => {
  it('is on unless off, and refuses anything else saying what to set', () => {
    expect([undefined, '', 'on', 'ON', ' off ', 'off'].map(historySetting)).toEqual([true, true, true, true, false, false]);
    expect(() => historySetting('no')).toThrow(/MINICLOUD_METRICS_HISTORY=no is neither on nor off/);
  });

  it('off: only the last hour, in memory, nothing written', () => {
    const m = new Metrics({ instances: () => [], now, defaults: false });
    m.observe('shop', 200, 1);
    clock.t += MIN;
    m.close();
    expect(total(m.minutes('shop', '7d', 60))).toBe(1);
    expect(store.metricPoints.list('shop', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
