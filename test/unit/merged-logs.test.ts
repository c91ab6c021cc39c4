// The merged log stream on real files: backlog in time order, own times kept, estimates marked, following, rotation.
import { appendFileSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergedLogs, ownTime, type MergeSources } from '../../src/log/merged.ts';
import { parseSources } from '../../src/api/logs-routes.ts';
import { CUT_MARK, MAX_LINE, type Deploy, type LogLine, type MergedLogEvent } from '../../src/core/index.ts';

let dir: string;
let src: MergeSources;
let deploys: Deploy[];
let lines: Map<string, LogLine[]>;

const deploy = (id: string, kind: Deploy['kind']): Deploy => ({
  id, app: 'shop', kind, status: 'building', ref: null, commit: null, commitAuthor: null, commitMessage: null, release: null, error: null, createdAt: '', finishedAt: null,
});
const addLine = (id: string, time: string, text: string) => {
  const list = lines.get(id) ?? [];
  list.push({ seq: list.length + 1, time, text });
  lines.set(id, list);
};
const ALL = parseSources(undefined);

/** Takes events from the stream until `until` says enough, then stops it. */
async function take(gen: AsyncGenerator<MergedLogEvent>, ctl: AbortController | null, until: (got: MergedLogEvent[]) => boolean) {
  const got: MergedLogEvent[] = [];
  for await (const e of gen) {
    got.push(e);
    if (until(got)) break;
  }
  ctl?.abort();
  return got;
}
const texts = (events: MergedLogEvent[]) => events.map((e) => (e.type === 'line' ? `${e.source}: ${e.text}` : 'ping'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-merged-'));
  deploys = [];
  lines = new Map();
  src = {
    appLog: join(dir, 'app.log'),
    routerLog: join(dir, 'router.log'),
    deploys: () => [...deploys].reverse(),
    deployLines: (id, after) => (lines.get(id) ?? []).filter((l) => l.seq > after),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ownTime', () => {
  it('takes a leading ISO time with a zone, and nothing else', () => {
    expect(ownTime('2026-11-25T10:00:00+01:00 hello')).toEqual({ time: '2026-11-25T09:00:00.000Z', text: 'hello' });
    expect(ownTime('2026-11-25 10:00:00.5Z x')).toEqual({ time: '2026-11-25T10:00:00.500Z', text: 'x' });
    expect(ownTime('2026-11-25T10:00:00 no zone')).toBeNull();
    expect(ownTime('listening on 5000')).toBeNull();
  });
});

describe('mergedLogs', () => {
  it('merges the backlog of every source in time order, the last N lines overall', async () => {
    deploys.push(deploy('b1', 'build'), deploy('r1', 'restart'));
    addLine('b1', '2026-11-25T10:00:01.000Z', '-----> Building');
    addLine('b1', '2026-11-25T10:00:05.000Z', '-----> Releasing v1');
    addLine('r1', '2026-11-25T10:00:20.000Z', '-----> Restarting');
    writeFileSync(src.routerLog, '2026-11-25T10:00:00.000Z GET / 200 1 1 a\n2026-11-25T10:00:10.000Z GET /x 404 1 2 b\n');
    writeFileSync(src.appLog, 'listening on 5000\n2026-11-25T10:00:09Z stamped by the app\n');
    utimesSync(src.appLog, new Date('2026-11-25T10:00:15Z'), new Date('2026-11-25T10:00:15Z'));

    const all = await take(mergedLogs(src, { sources: ALL, lines: 100, follow: false }), null, () => false);
    expect(texts(all)).toEqual([
      'router: GET / 200 1 1 a', 'build: -----> Building', 'build: -----> Releasing v1', 'app: stamped by the app',
      'router: GET /x 404 1 2 b', 'app: listening on 5000', 'release: -----> Restarting',
    ]);
    // Without a time of its own, a backlog line gets the file's last change, marked as an estimate.
    expect(all[5]).toMatchObject({ time: '2026-11-25T10:00:15.000Z', estimated: true });
    expect(all[3]).not.toHaveProperty('estimated');
    expect(all.map((e) => (e.type === 'line' ? e.seq : 0))).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const last3 = await take(mergedLogs(src, { sources: ALL, lines: 3, follow: false }), null, () => false);
    expect(texts(last3)).toEqual(['router: GET /x 404 1 2 b', 'app: listening on 5000', 'release: -----> Restarting']);
    const routerOnly = await take(mergedLogs(src, { sources: parseSources('router'), lines: 10, follow: false }), null, () => false);
    expect(texts(routerOnly)).toEqual(['router: GET / 200 1 1 a', 'router: GET /x 404 1 2 b']);
  });

  it('follows new lines of the files and of new deploys, reading a rotated file from its start', async () => {
    writeFileSync(src.appLog, 'old\n');
    const ctl = new AbortController();
    let clock = Date.parse('2026-11-25T11:00:00Z');
    const gen = mergedLogs(src, { sources: ALL, lines: 0, follow: true, signal: ctl.signal, pollMs: 20, now: () => clock });
    const got: MergedLogEvent[] = [];
    const step = async (n: number) => { for (let i = 0; i < n; i++) got.push((await gen.next()).value as MergedLogEvent); };

    appendFileSync(src.appLog, 'half');
    setTimeout(() => appendFileSync(src.appLog, ' a line\n'), 60);
    await step(1);
    expect(got[0]).toMatchObject({ source: 'app', text: 'half a line', estimated: true, time: '2026-11-25T11:00:00.000Z' });

    deploys.push(deploy('b2', 'build'));
    addLine('b2', '2026-11-25T11:00:02.000Z', '-----> Building');
    appendFileSync(src.routerLog, '2026-11-25T11:00:01.000Z GET / 200 1 1 c\n');
    await step(2);
    expect(texts(got.slice(1))).toEqual(['router: GET / 200 1 1 c', 'build: -----> Building']);

    renameSync(src.routerLog, `${src.routerLog}.1`);
    writeFileSync(src.routerLog, '2026-11-25T11:00:03.000Z GET /new 200 1 1 d\n');
    await step(1);
    expect(texts(got.slice(3))).toEqual(['router: GET /new 200 1 1 d']);

    clock += 60_000; // a quiet minute: a ping keeps proxies from closing the stream
    await step(1);
    expect(got[4]).toEqual({ type: 'ping', time: '2026-11-25T11:01:00.000Z' });
    ctl.abort();
    expect((await gen.next()).done).toBe(true);
  });

  it('refuses an unknown source by name', () => {
    expect(() => parseSources('app,nginx')).toThrow('unknown log source "nginx"');
    expect([...parseSources('all')]).toEqual(['app', 'router', 'build', 'release']);
  });

  it('cuts a 16 MB line without a newline, written in pieces while following, in linear time', async () => {
    writeFileSync(src.appLog, '');
    const ctl = new AbortController();
    const gen = mergedLogs(src, { sources: parseSources('app'), lines: 0, follow: true, signal: ctl.signal, pollMs: 5 });
    const got = take(gen, ctl, (g) => g.some((e) => e.type === 'line' && e.text === 'after'));
    const piece = 'q'.repeat(256 * 1024);
    const started = performance.now();
    for (let n = 0; n < 16 * 1024 * 1024; n += piece.length) {
      appendFileSync(src.appLog, piece);
      await new Promise((r) => setTimeout(r, 1)); // the cursor reads between pieces
    }
    appendFileSync(src.appLog, '\nafter\n');
    const events = await got;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(events.map((e) => (e.type === 'line' ? `${e.text.length}:${e.text.slice(0, 1)}` : 'ping'))).toEqual([`${MAX_LINE + CUT_MARK.length}:q`, '5:a']);
  });
});
