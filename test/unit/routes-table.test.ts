import { describe, expect, it } from 'vitest';
import { RouteTable, type Route } from '../../src/routes/index.ts';

const up = (port: number) => ({ host: '127.0.0.1', port });
const route = (app: string, hosts: string[], ports: number[] = [3000], state: Route['state'] = 'running'): Route => ({
  app,
  hosts,
  upstreams: ports.map(up),
  state,
});

describe('RouteTable', () => {
  it('finds a route by host, ignoring port, case and trailing dot', () => {
    const t = new RouteTable();
    t.replace([route('hello', ['hello.localhost'])]);
    for (const h of ['hello.localhost', 'HELLO.localhost:8080', 'hello.localhost.']) {
      expect(t.lookup(h)?.route.app, h).toBe('hello');
    }
    expect(t.lookup('other.localhost')).toBeNull();
    expect(t.lookup(undefined)).toBeNull();
    expect(t.lookup('hello.localhost/evil')).toBeNull();
  });

  it('round-robins over upstreams, and keeps the cursor across replace()', () => {
    const t = new RouteTable([route('a', ['a.test'], [1, 2, 3])]);
    const ports = () => t.lookup('a.test')?.upstream?.port;
    expect([ports(), ports(), ports(), ports()]).toEqual([1, 2, 3, 1]);
    t.replace([route('a', ['a.test'], [1, 2, 3])]);
    expect(ports()).toBe(2);
  });

  it('prefers an exact host over a wildcard, and a wildcard covers exactly one label', () => {
    const t = new RouteTable([route('wild', ['*.example.com']), route('www', ['www.example.com'])]);
    expect(t.lookup('www.example.com')?.route.app).toBe('www');
    expect(t.lookup('api.example.com')?.route.app).toBe('wild');
    expect(t.lookup('example.com')).toBeNull();
    expect(t.lookup('a.b.example.com')).toBeNull();
  });

  it('gives no upstream for a stopped or sleeping app or one without instances', () => {
    const t = new RouteTable([route('s', ['s.test'], [1], 'stopped'), route('e', ['e.test'], [], 'starting'), route('z', ['z.test'], [1], 'sleeping')]);
    expect(t.lookup('s.test')).toMatchObject({ route: { app: 's', state: 'stopped' }, upstream: null });
    expect(t.lookup('e.test')).toMatchObject({ route: { app: 'e' }, upstream: null });
    expect(t.lookup('z.test')).toMatchObject({ route: { app: 'z', state: 'sleeping' }, upstream: null });
  });

  it('swaps the whole table atomically and snapshots its input', () => {
    const routes = [route('one', ['one.test'])];
    const t = new RouteTable(routes);
    routes[0]!.hosts.push('late.test');
    routes[0]!.upstreams.length = 0;
    expect(t.lookup('late.test')).toBeNull();
    expect(t.lookup('one.test')?.upstream).toEqual(up(3000));
    t.replace([route('two', ['two.test'])]);
    expect(t.lookup('one.test')).toBeNull();
    expect(t.routes().map((r) => r.app)).toEqual(['two']);
  });

  it('normalizes route hosts, drops invalid ones, first claim on a host wins', () => {
    const t = new RouteTable([route('a', ['A.Test.', 'bad/host', 'x:80']), route('b', ['a.test', 'b.test'])]);
    expect(t.routes().map((r) => r.hosts)).toEqual([['a.test'], ['b.test']]);
    expect(t.lookup('a.test')?.route.app).toBe('a');
  });
});

describe('RouteTable suspects', () => {
  it('skips a suspect upstream in round-robin until it is cleared, across replace() while it is in the table', () => {
    const t = new RouteTable([route('a', ['a.test'], [1, 2, 3])]);
    const heard: Array<[string, number, string | null]> = [];
    t.onHealth((app, u, why) => heard.push([app, u.port, why]));
    const ports = () => t.lookup('a.test')?.upstream?.port;
    t.suspect(up(2), 'EHOSTUNREACH');
    t.suspect(up(2), 'ECONNREFUSED'); // already out: no second word of it
    expect(t.isSuspect(up(2))).toBe(true);
    expect([ports(), ports(), ports(), ports()]).toEqual([1, 3, 1, 3]);
    t.replace([route('a', ['a.test'], [1, 2, 3])]); // minicloud does not know yet: still out
    expect(t.isSuspect(up(2))).toBe(true);
    t.cleared(up(2));
    expect(t.isSuspect(up(2))).toBe(false);
    expect(heard).toEqual([['a', 2, 'EHOSTUNREACH'], ['a', 2, null]]);
    t.suspect(up(3));
    t.replace([route('a', ['a.test'], [1, 2])]); // gone from the table: forgotten
    t.replace([route('a', ['a.test'], [1, 2, 3])]);
    expect(t.isSuspect(up(3))).toBe(false);
    t.suspect(up(9)); // a late word of an instance the table no longer has
    expect(t.isSuspect(up(9))).toBe(false);
    expect(heard).toHaveLength(3);
  });

  it('still gives an upstream when all are suspect', () => {
    const t = new RouteTable([route('a', ['a.test'], [1, 2])]);
    t.suspect(up(1));
    t.suspect(up(2));
    expect([t.lookup('a.test')?.upstream?.port, t.lookup('a.test')?.upstream?.port]).toEqual([1, 2]);
  });

  it('lists the fallbacks after a failed upstream in round-robin order, suspects last, cursor untouched', () => {
    const t = new RouteTable([route('a', ['a.test'], [1, 2, 3, 4])]);
    const r = t.routes()[0]!;
    expect(t.fallbacks(r, up(2)).map((u) => u.port)).toEqual([3, 4, 1]);
    t.suspect(up(3));
    expect(t.fallbacks(r, up(2)).map((u) => u.port)).toEqual([4, 1, 3]);
    expect(t.fallbacks(route('b', ['b.test'], [9]), up(9))).toEqual([]);
    expect(t.lookup('a.test')?.upstream?.port).toBe(1);
  });

  it("keeps a route's own positive timeoutMs and drops a meaningless one", () => {
    const t = new RouteTable([
      { ...route('a', ['a.test']), timeoutMs: 5000 },
      { ...route('b', ['b.test']), timeoutMs: 0 },
      { ...route('c', ['c.test']), timeoutMs: Number.NaN },
    ]);
    expect(t.routes().map((r) => r.timeoutMs)).toEqual([5000, undefined, undefined]);
    expect(t.lookup('a.test')?.route.timeoutMs).toBe(5000);
  });
});

describe('RouteTable.waitForUpstream', () => {
  it('resolves at once for a running app', async () => {
    const t = new RouteTable([route('a', ['a.test'], [1])]);
    expect(await t.waitForUpstream('a', 1000)).toEqual(up(1));
    expect(t.waiting('a')).toBe(0);
  });

  it('waits through replaces that leave the app without an instance, then round-robins the waiters', async () => {
    const t = new RouteTable([route('a', ['a.test'], [], 'sleeping')]);
    const waits = [t.waitForUpstream('a', 5000), t.waitForUpstream('a', 5000), t.waitForUpstream('a', 5000)];
    expect(t.waiting('a')).toBe(3);
    t.replace([route('a', ['a.test'], [], 'starting')]);
    t.replace([route('a', ['a.test'], [1], 'sleeping')]); // listed instances of a sleeping app do not count
    expect(t.waiting('a')).toBe(3);
    t.replace([route('a', ['a.test'], [1, 2])]);
    expect(t.waiting('a')).toBe(0);
    expect((await Promise.all(waits)).map((u) => u?.port)).toEqual([1, 2, 1]);
  });

  it('resolves null when the app is stopped or removed, or for an unknown app', async () => {
    const t = new RouteTable([route('a', ['a.test'], [], 'sleeping'), route('b', ['b.test'], [], 'starting')]);
    const a = t.waitForUpstream('a', 5000);
    const b = t.waitForUpstream('b', 5000);
    t.replace([route('a', ['a.test'], [1], 'stopped')]);
    expect([await a, await b]).toEqual([null, null]);
    expect(await t.waitForUpstream('nope', 5000)).toBeNull();
    expect(await t.waitForUpstream('a', 5000)).toBeNull();
    expect(t.waiting('a') + t.waiting('b')).toBe(0);
  });

  it('resolves null after the timeout and on abort, leaving no waiter behind', async () => {
    const t = new RouteTable([route('a', ['a.test'], [], 'sleeping')]);
    const start = performance.now();
    expect(await t.waitForUpstream('a', 50)).toBeNull();
    expect(performance.now() - start).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    const aborted = t.waitForUpstream('a', 5000, ac.signal);
    const other = t.waitForUpstream('a', 5000);
    expect(t.waiting('a')).toBe(2);
    ac.abort();
    expect(await aborted).toBeNull();
    expect(t.waiting('a')).toBe(1);
    expect(await t.waitForUpstream('a', 5000, ac.signal)).toBeNull(); // already aborted
    t.replace([route('a', ['a.test'], [7])]);
    expect(await other).toEqual(up(7));
    expect(t.waiting('a')).toBe(0);
  });
});
