// Sleep support: reports which apps get traffic, wakes sleeping ones, and holds their requests until one is up.
import type { Route, RouteTable, Upstream } from '../../src/routes/index.ts';

export interface WakeOptions {
  table: RouteTable;
  wake?: (app: string) => void;
  onRequest?: (app: string) => void;
  wakeTimeoutMs: number;
  startingHoldMs: number;
  /** Whether minicloud is there to start a sleeping app; while it is not, requests for one wait less. */
  controlPlane?: () => boolean;
}

/**
 * How long a request for a crash-looping app waits: long enough for a restart that lands just then, short enough
 * that its visitors are told at once (its next restart may be minutes away).
 */
export const CRASHING_HOLD_MS = 1500;

/** How long a request for a sleeping app waits while minicloud (which would wake it) is not running. */
export const CONTROL_DOWN_HOLD_MS = 5000;

export interface Waker {
  /** Reports a request routed to `app`; never throws. */
  seen(app: string): void;
  /** How long a request for this instance-less route is held before it gives up. */
  holdMs(route: Route): number;
  /** Wakes the app and waits for an upstream; null on timeout, abort, or when the app is stopped or removed. */
  hold(route: Route, signal: AbortSignal): Promise<Upstream | null>;
}

// A burst of requests to a sleeping app should not turn into a burst of wake calls.
const WAKE_EVERY_MS = 250;

export function createWaker(o: WakeOptions): Waker {
  // Keyed by app name only (routed apps, never raw Host headers), so it stays as small as the app list.
  const lastWake = new Map<string, number>();
  const call = (fn: ((app: string) => void) | undefined, app: string) => {
    try {
      // An async hook is allowed too; its rejection would otherwise crash the process.
      const r = fn?.(app) as unknown;
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // minicloud's hooks must not take the router down
    }
  };
  const holdMs = (route: Route) => {
    if (route.state === 'crashing') return Math.min(o.startingHoldMs, CRASHING_HOLD_MS);
    if (route.state !== 'sleeping') return o.startingHoldMs;
    return o.controlPlane?.() === false ? Math.min(o.wakeTimeoutMs, CONTROL_DOWN_HOLD_MS) : o.wakeTimeoutMs;
  };
  return {
    seen: (app) => call(o.onRequest, app),
    holdMs,
    hold(route, signal) {
      const tryWake = () => {
        const now = performance.now();
        if (now - (lastWake.get(route.app) ?? -Infinity) < WAKE_EVERY_MS) return;
        lastWake.set(route.app, now);
        call(o.wake, route.app);
      };
      tryWake();
      // A wake the throttle dropped (the app fell asleep again right after waking), or one that
      // failed, is asked for again while requests wait.
      const timer = setInterval(tryWake, WAKE_EVERY_MS);
      return o.table.waitForUpstream(route.app, holdMs(route), signal).then((up) => {
        // Awake: the throttle is for one wake's burst of requests. An app that falls asleep again soon after (a short
        // sleep timer) is woken at its next request, not up to 250 ms later.
        if (up) lastWake.delete(route.app);
        return up;
      }).finally(() => clearInterval(timer));
    },
  };
}
