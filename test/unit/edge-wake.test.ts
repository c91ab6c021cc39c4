// How long the router holds a request for an app with no instance: a starting app the whole start-up wait, a
// crash-looping one only briefly, then the page that says so.
import { describe, expect, it } from 'vitest';
import { CRASHING_HOLD_MS, createWaker } from '../../proxy/edge/wake.ts';
import { crashingPage, wakingPage } from '../../proxy/edge/pages.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';

const route = (state: Route['state']): Route => ({ app: 'shop', hosts: ['shop.localhost'], upstreams: [], state });

describe('holding requests for an app with no instance', () => {
  const waker = createWaker({ table: new RouteTable(), wakeTimeoutMs: 60_000, startingHoldMs: 10_000 });

  it('holds a starting app\'s requests for the start-up wait, a crash-looping app\'s for 1.5 s', () => {
    expect(waker.holdMs(route('starting'))).toBe(10_000);
    expect(waker.holdMs(route('sleeping'))).toBe(60_000);
    expect(waker.holdMs(route('crashing'))).toBe(CRASHING_HOLD_MS);
    expect(CRASHING_HOLD_MS).toBeLessThanOrEqual(2000);
  });

  it('tells a crash loop from a slow start, and says what to do', () => {
    const page = crashingPage('shop');
    expect([page.status, page.title, page.headers?.['retry-after']]).toEqual([503, 'App is crashing', '10']);
    expect(page.hint).toContain('minicloud logs shop');
    expect(wakingPage('shop', 'starting', 10_000).title).toBe('App is starting');
  });
});

describe('waking a sleeping app', () => {
  const running = (): Route => ({ app: 'shop', hosts: ['shop.localhost'], upstreams: [{ host: '127.0.0.1', port: 1 }], state: 'running' });

  it('asks once for a burst of requests, and again at once when the app fell asleep right after it woke', async () => {
    const table = new RouteTable();
    const wakes: number[] = [];
    const waker = createWaker({ table, wakeTimeoutMs: 5000, startingHoldMs: 5000, wake: () => void wakes.push(performance.now()) });
    table.replace([route('sleeping')]);
    const burst = [1, 2, 3].map(() => waker.hold(route('sleeping'), new AbortController().signal));
    expect(wakes).toHaveLength(1);
    table.replace([running()]);
    expect((await Promise.all(burst)).every((u) => u?.port === 1)).toBe(true);
    // Asleep again straight away: the next request wakes it without waiting out the burst throttle.
    table.replace([route('sleeping')]);
    const next = waker.hold(route('sleeping'), new AbortController().signal);
    expect(wakes).toHaveLength(2);
    table.replace([running()]);
    expect((await next)?.port).toBe(1);
  });
});
