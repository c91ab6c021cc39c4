// The Prometheus side of metrics: router counters and histogram, instance sampling, access-log parsing, /proc.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics, groupUsage, parseAccessLine, parseStat, type InstanceRef, type ProcUsage } from '../../src/metrics/index.ts';
import { metricsRows } from '../../src/cli/commands/metrics.ts';

describe('parseAccessLine', () => {
  it('reads status and milliseconds from the end of the line', () => {
    expect(parseAccessLine('GET shop.localhost / 200 13 4 abc123')).toEqual({ status: 200, ms: 4 });
    expect(parseAccessLine('GET shop.localhost /a b 502 0 1200 abc123')).toEqual({ status: 502, ms: 1200 });
    expect(parseAccessLine('garbage')).toBeNull();
  });
});

describe('Metrics', () => {
  it('counts requests by app and status class, with a duration histogram', async () => {
    const m = new Metrics({ instances: () => [], defaults: false });
    for (let i = 0; i < 3; i++) m.observeLine('shop', `GET shop.localhost / 200 2 ${i * 10} id${i}`);
    m.observe('shop', 503, 7000);
    m.observe('blog', 301, 1);
    m.observe('blog', 0, 1); // no class: ignored
    const text = await m.text();
    expect(text).toContain('# TYPE minicloud_router_requests_total counter');
    expect(text).toContain('minicloud_router_requests_total{app="shop",status_class="2xx"} 3');
    expect(text).toContain('minicloud_router_requests_total{app="shop",status_class="5xx"} 1');
    expect(text).toContain('minicloud_router_requests_total{app="blog",status_class="3xx"} 1');
    expect(text).toContain('minicloud_router_request_duration_seconds_bucket{le="0.005",app="shop"} 1');
    expect(text).toContain('minicloud_router_request_duration_seconds_bucket{le="10",app="shop"} 4');
    expect(text).toContain('minicloud_router_request_duration_seconds_count{app="shop"} 4');
    expect(m.minutes('shop')[0]).toMatchObject({ requests: 4, errors: 1 });
    expect(m.contentType).toMatch(/^text\/plain/);
  });

  it('forgets a destroyed app: its series and its label sets', async () => {
    const m = new Metrics({ instances: () => [], defaults: false });
    m.observe('gone', 200, 3);
    m.observe('kept', 200, 3);
    m.forget('gone');
    const text = await m.text();
    expect(text).not.toContain('app="gone"');
    expect(text).toContain('minicloud_router_requests_total{app="kept",status_class="2xx"} 1');
    expect(m.minutes('gone')).toEqual([]);
  });

  it('adds Node process metrics under minicloud_', async () => {
    const text = await new Metrics({ instances: () => [] }).text();
    expect(text).toMatch(/^minicloud_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^minicloud_nodejs_heap_size_used_bytes \d/m);
  });

  it('samples running instances: CPU as a counter across restarts, memory as a gauge, CPU % per minute', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const usage = new Map<number, ProcUsage>([[100, { cpuSeconds: 2, rssBytes: 50 * 1024 * 1024 }], [200, { cpuSeconds: 1, rssBytes: 10 * 1024 * 1024 }]]);
    let instances: InstanceRef[] = [
      { id: 'web.1', app: 'shop', type: 'web', pid: 100, state: 'up' },
      { id: 'worker.1', app: 'shop', type: 'worker', pid: 200, state: 'up' },
      { id: 'web.2', app: 'shop', type: 'web', pid: null, state: 'crashed' },
    ];
    const m = new Metrics({ instances: () => instances, usage: (pid) => usage.get(pid) ?? null, now: () => now, defaults: false });
    m.sample();
    let text = await m.text();
    expect(text).toContain('minicloud_instance_cpu_seconds_total{app="shop",type="web",instance="web.1"} 2');
    expect(text).toContain(`minicloud_instance_memory_bytes{app="shop",type="web",instance="web.1"} ${50 * 1024 * 1024}`);
    expect(text).not.toContain('instance="web.2"');

    now += 15_000; // web.1 used 3 s of CPU in 15 s: 20 %; worker.1 restarted as pid 300 with 0.5 s
    usage.set(100, { cpuSeconds: 5, rssBytes: 60 * 1024 * 1024 });
    usage.set(300, { cpuSeconds: 0.5, rssBytes: 4 * 1024 * 1024 });
    instances = [instances[0]!, { id: 'worker.1', app: 'shop', type: 'worker', pid: 300, state: 'up' }];
    m.sample();
    text = await m.text();
    expect(text).toContain('minicloud_instance_cpu_seconds_total{app="shop",type="web",instance="web.1"} 5');
    expect(text).toContain('minicloud_instance_cpu_seconds_total{app="shop",type="worker",instance="worker.1"} 1.5');
    expect(m.minutes('shop')).toEqual([expect.objectContaining({ cpuPercent: 10, memoryMb: 64 })]); // (0 + 20) / 2 samples

    instances = []; // all stopped: their series go
    m.sample();
    expect(await m.text()).not.toContain('instance="web.1"');
  });
});

describe('/proc', () => {
  it('parses stat lines whose command holds spaces and parentheses', () => {
    const line = '4242 (node (my app)) S 1 4242 4242 0 -1 4194304 100 0 0 0 150 50 0 0 20 0 11 0 123 456 789';
    expect(parseStat(line)).toEqual({ pgrp: 4242, ticks: 200 });
  });

  it('sums a process group: CPU ticks / 100 and VmRSS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-proc-'));
    try {
      const proc = (pid: number, pgrp: number, utime: number, stime: number, rssKb: number) => {
        mkdirSync(join(dir, String(pid)));
        writeFileSync(join(dir, String(pid), 'stat'), `${pid} (sh) S 1 ${pgrp} ${pgrp} 0 -1 0 0 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 1 1 1`);
        writeFileSync(join(dir, String(pid), 'status'), `Name:\tsh\nVmRSS:\t  ${rssKb} kB\n`);
      };
      proc(10, 10, 100, 50, 1000);
      proc(11, 10, 200, 0, 3000);
      proc(12, 12, 999, 999, 9999); // another group
      expect(groupUsage(10, dir)).toEqual({ cpuSeconds: 3.5, rssBytes: 4000 * 1024 });
      expect(groupUsage(11, dir)).toEqual({ cpuSeconds: 2, rssBytes: 3000 * 1024 }); // not a leader: itself only
      expect(groupUsage(99, dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads this very process on Linux', () => {
    if (process.platform !== 'linux') return;
    const u = groupUsage(process.pid);
    expect(u?.rssBytes).toBeGreaterThan(1024 * 1024);
  });
});

describe('metrics CLI rows', () => {
  it('lists minutes with traffic only', () => {
    const statuses = { '1xx': 0, '2xx': 9, '3xx': 0, '4xx': 1, '5xx': 0 };
    const base = { errors: 0, p50Ms: 3, p95Ms: 12.4, p99Ms: 20, statuses, cpuPercent: 1.5, memoryMb: 42 };
    const rows = metricsRows([
      { t: '2026-01-01T12:00:00.000Z', requests: 0, ...base, p50Ms: null, p95Ms: null, p99Ms: null },
      { t: '2026-01-01T12:01:00.000Z', requests: 10, ...base },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(1)).toEqual(['10', '1', '0', '3ms', '12ms', '20ms', '1.5%', '42 MB']);
  });
});
