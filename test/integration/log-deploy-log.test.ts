// log: the deploy log stored in SQLite and followed live over a real Redis (its own redis-server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CUT_MARK, MAX_LINE, type LogEvent } from '../../src/core/index.ts';
import { DeployLog } from '../../src/log/index.ts';
import { Store } from '../../src/store/index.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';


let redis: TestRedis;
let tmp: string;
let store: Store;
let log: DeployLog;

beforeAll(async () => {
  redis = await startRedis();
  tmp = mkdtempSync(join(tmpdir(), 'mc-'));
  store = new Store(join(tmp, 'state.db'));
  store.apps.create('app');
});
afterAll(async () => {
  store?.close();
  await redis?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => { log = new DeployLog(store, redis.url, appUrl); });
afterEach(async () => { await log.close(); });

const appUrl = (app: string) => `http://${app}.localhost`;

/** Consumes a follower in the background: events land in `events`; `done` settles when it ends. */
function collect(gen: AsyncGenerator<LogEvent>) {
  const events: LogEvent[] = [];
  const done = (async () => { for await (const e of gen) events.push(e); })();
  return { events, done };
}

async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const texts = (events: LogEvent[]) => events.flatMap((e) => (e.type === 'line' ? [e.text] : []));

/** True once a subscriber listens on the deploy's channel (so "live" below really is live). */
async function subscribed(deployId: string): Promise<void> {
  const probe = new Redis(redis.url);
  try {
    for (let i = 0; i < 500; i++) {
      const [, count] = (await probe.call('PUBSUB', 'NUMSUB', `minicloud:deploy:${deployId}`)) as [string, number];
      if (count > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('follower never subscribed');
  } finally {
    probe.disconnect();
  }
}

describe('DeployLog', () => {
  it('append stores each line of a multi-line text, dropping one trailing newline', () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    log.append(d.id, 'one\ntwo\r\nthree\n');
    log.append(d.id, '');
    expect(store.deployLogs.lines(d.id).map((l) => [l.seq, l.text])).toEqual([[1, 'one'], [2, 'two'], [3, 'three'], [4, '']]);
  });

  it('follow yields the backlog, then lines appended later, then the end event once the deploy succeeds', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    log.append(d.id, 'backlog 1');
    log.append(d.id, 'backlog 2');
    const f = collect(log.follow(d.id, 0));
    await until(() => f.events.length === 2, 5000, 'backlog');
    expect(texts(f.events)).toEqual(['backlog 1', 'backlog 2']);
    await subscribed(d.id);

    log.append(d.id, 'live 3');
    await until(() => f.events.length === 3, 5000, 'a live line');
    log.append(d.id, 'live 4\nlive 5');
    await until(() => f.events.length === 5, 5000, 'two more live lines');

    const done = store.deploys.update(d.id, { status: 'succeeded', release: 7 });
    log.end(done);
    await f.done;
    expect(f.events.map((e) => (e.type === 'line' ? e.seq : e.type))).toEqual([1, 2, 3, 4, 5, 'end']);
    expect(texts(f.events)).toEqual(['backlog 1', 'backlog 2', 'live 3', 'live 4', 'live 5']);
    expect(f.events.at(-1)).toEqual({ type: 'end', status: 'succeeded', release: 7, url: 'http://app.localhost', error: null });
  });

  it('a follower started with afterSeq skips the earlier lines', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    for (const t of ['a', 'b', 'c', 'd']) log.append(d.id, t);
    const f = collect(log.follow(d.id, 2));
    await until(() => f.events.length === 2, 5000, 'backlog after seq 2');
    await subscribed(d.id);
    log.append(d.id, 'e');
    await until(() => f.events.length === 3, 5000, 'a live line');
    log.end(store.deploys.update(d.id, { status: 'failed', error: 'boom' }));
    await f.done;
    expect(f.events.map((e) => (e.type === 'line' ? `${e.seq}:${e.text}` : e.type))).toEqual(['3:c', '4:d', '5:e', 'end']);
    expect(f.events.at(-1)).toMatchObject({ type: 'end', status: 'failed', error: 'boom' });
  });

  it('a follower of a finished deploy gets the whole log and the end at once', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    log.append(d.id, 'x\ny');
    store.deploys.update(d.id, { status: 'succeeded' });
    const events: LogEvent[] = [];
    for await (const e of log.follow(d.id, 0)) events.push(e);
    expect(events.map((e) => e.type)).toEqual(['line', 'line', 'end']);
  });

  it('a follower of an unknown deploy ends without events', async () => {
    const events: LogEvent[] = [];
    for await (const e of log.follow('no-such-deploy', 0)) events.push(e);
    expect(events).toEqual([]);
  });

  it('still ends when the publish is lost: the store poll sees lines and the finished deploy', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    log.append(d.id, 'before');
    const f = collect(log.follow(d.id, 0));
    await until(() => f.events.length === 1, 5000, 'backlog');
    await subscribed(d.id);
    // Written straight to the store: nothing is published, as when Redis was away.
    store.deployLogs.append(d.id, 'unpublished line');
    store.deploys.update(d.id, { status: 'succeeded', release: 2 });
    await until(() => f.events.some((e) => e.type === 'end'), 10_000, 'the end event from the poll');
    await f.done;
    expect(texts(f.events)).toEqual(['before', 'unpublished line']);
    expect(f.events.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', release: 2 });
  });

  it('stops following on abort, without an end event, and unsubscribes', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    log.append(d.id, 'only');
    const ac = new AbortController();
    const f = collect(log.follow(d.id, 0, ac.signal));
    await until(() => f.events.length === 1, 5000, 'backlog');
    await subscribed(d.id);
    ac.abort();
    await f.done;
    expect(f.events.map((e) => e.type)).toEqual(['line']);
    const probe = new Redis(redis.url);
    try {
      const [, count] = (await probe.call('PUBSUB', 'NUMSUB', `minicloud:deploy:${d.id}`)) as [string, number];
      expect(count).toBe(0);
    } finally {
      probe.disconnect();
    }
  });

  it('two followers of the same deploy both get every line and the end', async () => {
    const d = store.deploys.create({ app: 'app', kind: 'build' });
    const a = collect(log.follow(d.id, 0));
    const b = collect(log.follow(d.id, 0));
    await subscribed(d.id);
    await new Promise((r) => setTimeout(r, 50));
    log.append(d.id, 'l1\nl2');
    await until(() => a.events.length === 2 && b.events.length === 2, 5000, 'both followers');
    log.end(store.deploys.update(d.id, { status: 'succeeded' }));
    await Promise.all([a.done, b.done]);
    for (const f of [a, b]) expect(f.events.map((e) => (e.type === 'line' ? e.text : e.type))).toEqual(['l1', 'l2', 'end']);
  });
});

describe('DeployLog while Redis is away', () => {
  // The store holds every line, and follow() polls it because "a publish lost while Redis was away must not
  // stall a follower". A follower that starts during the outage must then still get the stored log.
  it('yields the stored log and the end of a finished deploy while its Redis is down', async () => {
    const own = await startRedis();
    const away = new DeployLog(store, own.url, appUrl);
    try {
      const d = store.deploys.create({ app: 'app', kind: 'build' });
      away.append(d.id, 'stored while up');
      store.deploys.update(d.id, { status: 'succeeded', release: 3 });
      await own.stop();
      const f = collect(away.follow(d.id, 0));
      // follow() polls every 2 s; two polls are plenty for a deploy that has already finished.
      const finished = await Promise.race([f.done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 4500))]);
      expect(finished, 'follow() never ended: it waits on SUBSCRIBE while Redis is down').toBe(true);
      expect(f.events.map((e) => (e.type === 'line' ? e.text : e.type))).toEqual(['stored while up', 'end']);
    } finally {
      await away.close();
    }
  });

  it('caps a deploy\'s log in lines, then says so once and keeps only minicloud\'s own lines', async () => {
    const small = new DeployLog(store, redis.url, appUrl, { lines: 100, bytes: 1024 * 1024, keep: 50 });
    try {
      const d = store.deploys.create({ app: 'app', kind: 'build' });
      for (let i = 0; i < 1000; i++) small.append(d.id, `       npm noise ${i}`);
      small.append(d.id, '-----> Releasing v1\n       more noise\n !     the release failed');
      const lines = store.deployLogs.lines(d.id).map((l) => l.text);
      expect(lines.length).toBe(102);
      expect(lines[98]).toBe('       npm noise 98');
      expect(lines[99]).toMatch(/^… truncated: this deploy's log reached its limit \(100 lines/);
      expect(lines.slice(100)).toEqual(['-----> Releasing v1', ' !     the release failed']);
      // A new DeployLog (minicloud restarted) knows the deploy's budget is spent.
      const again = new DeployLog(store, redis.url, appUrl, { lines: 100, bytes: 1024 * 1024, keep: 50 });
      again.append(d.id, '       still noise');
      await again.close();
      expect(store.deployLogs.lines(d.id).length).toBe(102);
    } finally {
      await small.close();
    }
  });

  it('caps a deploy\'s log in bytes, and cuts a single long line at MAX_LINE', async () => {
    const small = new DeployLog(store, redis.url, appUrl, { lines: 1000, bytes: 100_000, keep: 50 });
    try {
      const d = store.deploys.create({ app: 'app', kind: 'build' });
      small.append(d.id, 'z'.repeat(16 * 1024 * 1024));
      for (let i = 0; i < 100; i++) small.append(d.id, 'k'.repeat(1000));
      const lines = store.deployLogs.lines(d.id).map((l) => l.text);
      expect(lines[0]).toBe('z'.repeat(MAX_LINE) + CUT_MARK);
      expect(store.deployLogs.size(d.id).bytes).toBeLessThan(100_000 + 1000);
      expect(lines.at(-1)).toMatch(/^… truncated/);
    } finally {
      await small.close();
    }
  });

  it('keeps the lines of the newest deploys of an app only; the deploys themselves stay', async () => {
    store.apps.create('pruned');
    const small = new DeployLog(store, redis.url, appUrl, { lines: 1000, bytes: 1024 * 1024, keep: 3 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const d = store.deploys.create({ app: 'pruned', kind: 'build' });
        ids.push(d.id);
        small.append(d.id, `deploy ${i}`);
        small.end(store.deploys.update(d.id, { status: 'succeeded' }));
      }
      expect(ids.map((id) => store.deployLogs.lines(id).length)).toEqual([0, 0, 0, 1, 1, 1]);
      expect(store.deploys.list('pruned').length).toBe(6);
    } finally {
      await small.close();
    }
  });
});
