// The per-app minute series behind `GET /api/apps/:app/metrics`, and HTTP status classes.
import { describe, expect, it } from 'vitest';
import { MinuteSeries, RESERVOIR, percentile, statusClass } from '../../src/metrics/series.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const clock = (start = T0) => {
  const c = { t: start, now: () => c.t };
  return c;
};

describe('statusClass', () => {
  it('maps statuses to their class', () => {
    expect([200, 204, 301, 304, 404, 499, 500, 503].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '3xx', '4xx', '4xx', '5xx', '5xx']);
    expect(statusClass(101)).toBe('1xx');
  });

  it('has no class for what is not an HTTP status', () => {
    expect([0, 99, 600, 200.5, Number.NaN, -1].map(statusClass)).toEqual([null, null, null, null, null, null]);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('MinuteSeries', () => {
  it('counts requests and 5xx per minute with p50 and p95', () => {
    const c = clock();
    const s = new MinuteSeries(c.now);
    for (let i = 1; i <= 20; i++) s.request('shop', i === 20 ? 502 : 200, i * 10);
    s.request('shop', 404, 5);
    c.t += 60_000;
    s.request('shop', 200, 30);
    const [first, second] = s.minutes('shop');
    expect(first).toEqual({
      t: new Date(T0).toISOString(), requests: 21, errors: 1, p50Ms: 100, p95Ms: 190, p99Ms: 200,
      statuses: { '1xx': 0, '2xx': 19, '3xx': 0, '4xx': 1, '5xx': 1 }, cpuPercent: null, memoryMb: null,
    });
    expect(second).toMatchObject({ t: new Date(T0 + 60_000).toISOString(), requests: 1, errors: 0, p50Ms: 30, p95Ms: 30 });
  });

  it('keeps apps apart and knows nothing of an unseen app', () => {
    const s = new MinuteSeries(clock().now);
    s.request('a', 200, 1);
    expect(s.minutes('a')).toHaveLength(1);
    expect(s.minutes('b')).toEqual([]);
    s.forget('a');
    expect(s.minutes('a')).toEqual([]);
  });

  it('averages CPU samples and keeps the last memory sample of a minute', () => {
    const c = clock();
    const s = new MinuteSeries(c.now);
    s.sample('shop', 10, 100 * 1024 * 1024);
    c.t += 15_000;
    s.sample('shop', 30, 150 * 1024 * 1024);
    expect(s.minutes('shop')).toEqual([{
      t: new Date(T0).toISOString(), requests: 0, errors: 0, p50Ms: null, p95Ms: null, p99Ms: null,
      statuses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, cpuPercent: 20, memoryMb: 150,
    }]);
  });

  it('keeps the last 60 minutes only', () => {
    const c = clock();
    const s = new MinuteSeries(c.now);
    for (let m = 0; m < 90; m++) {
      s.request('shop', 200, m);
      c.t += 60_000;
    }
    c.t -= 60_000; // now in minute 89
    const minutes = s.minutes('shop');
    expect(minutes).toHaveLength(60);
    expect(minutes[0]!.t).toBe(new Date(T0 + 30 * 60_000).toISOString());
    expect(minutes.at(-1)!.t).toBe(new Date(T0 + 89 * 60_000).toISOString());
    c.t += 2 * 60 * 60_000;
    expect(s.minutes('shop')).toEqual([]);
  });

  it('bounds the latencies kept per minute and still estimates the percentiles', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const s = new MinuteSeries(clock().now, 60, random);
    for (let i = 1; i <= 10_000; i++) s.request('busy', 200, i % 100);
    const [m] = s.minutes('busy');
    expect(m!.requests).toBe(10_000);
    expect(RESERVOIR).toBeLessThan(10_000);
    expect(Math.abs(m!.p50Ms! - 50)).toBeLessThanOrEqual(8);
    expect(Math.abs(m!.p95Ms! - 95)).toBeLessThanOrEqual(4);
    expect(m!.p99Ms!).toBeGreaterThanOrEqual(95);
  });
});
