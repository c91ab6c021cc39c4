// Cron: manifest entries as BullMQ job schedulers over a real Redis (its own redis-server), and the runner that runs them.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../src/core/index.ts';
import { CronScheduler, connectionFromUrl, cronSchedulerId, type CronJob, type CronProcessor } from '../../src/queue/index.ts';
import { CronRunner, cronStatus } from '../../src/processes/index.ts';
import type { InstanceSpec } from '../../src/runtime/index.ts';
import { Store } from '../../src/store/index.ts';
import { until } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let client: Redis;
let tmp: string;
const open: CronScheduler[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  tmp = mkdtempSync(join(tmpdir(), 'mc-cron-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const s of stores.splice(0)) s.close();
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const prefix = () => `mc-test-${randomUUID().slice(0, 8)}`;
const noop: CronProcessor = async () => {};

function scheduler(pfx: string, processor: CronProcessor = noop): CronScheduler {
  const c = new CronScheduler(connectionFromUrl(redis.url), processor, pfx);
  open.push(c);
  return c;
}

const delayed = (pfx: string, app: string) => client.zcard(`${pfx}:cron-${app}:delayed`);

const TICK = { schedule: '* * * * *', command: 'node tick.js' };
const FAIL = { schedule: '*/5 * * * *', command: 'node fail.js' };
const NIGHTLY = { schedule: '0 3 * * *', command: 'node cleanup.js' };

describe('CronScheduler', () => {
  it('gives each (app, schedule, command) a stable id of its own', () => {
    expect(cronSchedulerId('shop', TICK)).toBe(cronSchedulerId('shop', { ...TICK }));
    const ids = new Set([cronSchedulerId('shop', TICK), cronSchedulerId('shop', FAIL), cronSchedulerId('blog', TICK),
      cronSchedulerId('shop', { ...TICK, command: 'node tock.js' }), cronSchedulerId('shop', { ...TICK, schedule: '*/2 * * * *' })]);
    expect(ids.size).toBe(5);
    expect(cronSchedulerId('shop', TICK)).toMatch(/^cron-[0-9a-f]{24}$/);
  });

  it('upserts one scheduler per entry, each with its next run waiting', async () => {
    const pfx = prefix();
    const c = scheduler(pfx);
    await c.sync('shop', [TICK, FAIL]);
    const list = await c.schedulers('shop');
    expect(list.map((s) => ({ id: s.id, pattern: s.pattern, schedule: s.schedule, command: s.command })).sort((a, b) => a.command.localeCompare(b.command))).toEqual([
      { id: cronSchedulerId('shop', FAIL), pattern: FAIL.schedule, schedule: FAIL.schedule, command: FAIL.command },
      { id: cronSchedulerId('shop', TICK), pattern: TICK.schedule, schedule: TICK.schedule, command: TICK.command },
    ]);
    for (const s of list) expect(s.next).toBeGreaterThan(Date.now() - 1000);
    expect(await delayed(pfx, 'shop')).toBe(2);
  });

  it('a redeploy with the same entries changes nothing: no second scheduler, no extra run', async () => {
    const pfx = prefix();
    const c = scheduler(pfx);
    await c.sync('shop', [TICK, FAIL]);
    const before = await c.schedulers('shop');
    await c.sync('shop', [FAIL, TICK]);
    await c.sync('shop', [TICK, FAIL]);
    // Another minicloud process (a restart) syncing the same entries.
    await scheduler(pfx).sync('shop', [TICK, FAIL]);
    const after = await c.schedulers('shop');
    expect(after.map((s) => [s.id, s.next]).sort()).toEqual(before.map((s) => [s.id, s.next]).sort());
    expect(await delayed(pfx, 'shop')).toBe(2);
  });

  it('removes entries no longer in the manifest, and adds new ones', async () => {
    const pfx = prefix();
    const c = scheduler(pfx);
    await c.sync('shop', [TICK, FAIL]);
    await c.sync('shop', [TICK, NIGHTLY]);
    expect((await c.schedulers('shop')).map((s) => s.id).sort()).toEqual([cronSchedulerId('shop', TICK), cronSchedulerId('shop', NIGHTLY)].sort());
    expect(await delayed(pfx, 'shop')).toBe(2);
    await c.sync('shop', []);
    expect(await c.schedulers('shop')).toEqual([]);
    expect(await delayed(pfx, 'shop')).toBe(0);
  });

  it('keeps apps apart, and forget removes all of one app\'s schedules', async () => {
    const pfx = prefix();
    const c = scheduler(pfx);
    await c.sync('shop', [TICK, FAIL]);
    await c.sync('blog', [TICK]);
    await c.forget('shop');
    expect(await client.keys(`${pfx}:cron-shop:*`)).toEqual([]);
    expect(await c.schedulers('shop')).toEqual([]);
    expect(await delayed(pfx, 'shop')).toBe(0);
    expect((await c.schedulers('blog')).map((s) => s.id)).toEqual([cronSchedulerId('blog', TICK)]);
  });

  it('hands due runs to the processor with the entry', async () => {
    const seen: CronJob[] = [];
    const c = scheduler(prefix(), async (job) => { seen.push(job); });
    // BullMQ also takes a seconds field: every second, so the test need not wait a minute.
    await c.sync('shop', [{ schedule: '* * * * * *', command: 'echo hi' }]);
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen[0]).toEqual({ app: 'shop', schedule: '* * * * * *', command: 'echo hi' });
  });
});

describe('CronRunner', () => {
  let n = 0;
  const artifact = (cron: Array<{ schedule: string; command: string }>): Artifact => ({ kind: 'dir', dir: tmp, buildpack: 'node', processes: { web: 'node server.js' }, manifest: { cron } });

  function setUp(run: (spec: InstanceSpec, onLine: (l: string) => void, signal?: AbortSignal) => Promise<number>) {
    const store = new Store(join(tmp, `db-${++n}`, 'state.db'));
    stores.push(store);
    store.apps.create('shop');
    const rel = store.releases.create({ app: 'shop', artifact: artifact([TICK, FAIL]), commit: null, description: 'Deploy', config: { FOO: 'bar' } });
    store.apps.setCurrentRelease('shop', rel.version);
    const log: string[] = [];
    const specs: InstanceSpec[] = [];
    const runner = new CronRunner({ store, runtime: { run: (spec, onLine, signal) => { specs.push(spec); return run(spec, onLine, signal); } }, appendLog: (app, line) => log.push(`${app}: ${line}`) });
    return { store, runner, log, specs };
  }

  it('runs the entry in the current release with its config, logs every line, records the exit code', async () => {
    const { store, runner, log, specs } = setUp(async (spec, onLine) => { onLine('marker'); return spec.command === FAIL.command ? 2 : 0; });
    expect(cronStatus(store, 'shop')).toEqual([{ ...TICK, lastRun: null }, { ...FAIL, lastRun: null }]);
    await runner.run({ app: 'shop', ...TICK });
    await runner.run({ app: 'shop', ...FAIL });
    expect(specs.map((s) => ({ command: s.command, env: s.env, release: s.release, type: s.type }))).toEqual([
      { command: TICK.command, env: { FOO: 'bar' }, release: 1, type: 'cron' },
      { command: FAIL.command, env: { FOO: 'bar' }, release: 1, type: 'cron' },
    ]);
    expect(log).toEqual([
      'shop: cron[* * * * * node tick.js]: starting (v1)',
      'shop: cron[* * * * * node tick.js]: marker',
      'shop: cron[* * * * * node tick.js]: exited with code 0',
      'shop: cron[*/5 * * * * node fail.js]: starting (v1)',
      'shop: cron[*/5 * * * * node fail.js]: marker',
      'shop: cron[*/5 * * * * node fail.js]: failed: exited with code 2',
    ]);
    const status = cronStatus(store, 'shop');
    expect(status.map((s) => s.lastRun?.exitCode)).toEqual([0, 2]);
    expect(status[1]!.lastRun!.finishedAt).not.toBeNull();
  });

  it('skips stopped apps, entries gone from the manifest, and an entry still running', async () => {
    let release!: () => void;
    const { store, runner, log, specs } = setUp(() => new Promise<number>((r) => { release = () => r(0); }));
    store.apps.setState('shop', 'stopped');
    await runner.run({ app: 'shop', ...TICK });
    store.apps.setState('shop', 'running');
    await runner.run({ app: 'shop', ...NIGHTLY });
    await runner.run({ app: 'gone', ...TICK });
    expect(specs).toEqual([]);
    const first = runner.run({ app: 'shop', ...TICK });
    await new Promise((r) => setTimeout(r, 20));
    await runner.run({ app: 'shop', ...TICK });
    expect(log.at(-1)).toBe('shop: cron[* * * * * node tick.js]: still running from its previous start; this run is skipped');
    release();
    await first;
    expect(specs).toHaveLength(1);
    expect(store.cronRuns.list('shop')).toHaveLength(1);
  });

  it('runs an entry now (the dashboard\'s button): recorded at once, refused when stopped, unknown or still running', async () => {
    let release!: () => void;
    const { store, runner, specs } = setUp(() => new Promise<number>((r) => { release = () => r(0); }));
    const started = runner.runNow({ app: 'shop', ...TICK });
    // Answered before the run ends, its start already in the history.
    expect(store.cronRuns.list('shop')).toEqual([expect.objectContaining({ command: TICK.command, startedAt: started.startedAt, finishedAt: null, exitCode: null })]);
    expect(() => runner.runNow({ app: 'shop', ...TICK })).toThrow(/still running from its previous start/);
    expect(() => runner.runNow({ app: 'shop', ...NIGHTLY })).toThrow(/has no cron entry "0 3 \* \* \* node cleanup.js"/);
    expect(() => runner.runNow({ app: 'gone', ...TICK })).toThrow(/gone/);
    release();
    await until('the run recorded as ended', async () => (store.cronRuns.list('shop')[0]?.exitCode === 0 ? true : undefined), 10_000);
    store.apps.setState('shop', 'stopped');
    expect(() => runner.runNow({ app: 'shop', ...TICK })).toThrow(/stopped/);
    expect(specs).toHaveLength(1);
  });

  it('a run that cannot start is a failed run', async () => {
    const { store, runner, log } = setUp(async () => { throw new Error('release directory /x is gone'); });
    await runner.run({ app: 'shop', ...TICK });
    expect(log).toContain('shop: cron[* * * * * node tick.js]: could not start: release directory /x is gone');
    expect(cronStatus(store, 'shop')[0]!.lastRun?.exitCode).toBe(127);
  });
});
