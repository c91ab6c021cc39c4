// routes: the pure host → app route table the HTTP edge proxies by; no I/O (only the waiters' deadlines).
import { normalizeHost, normalizeRouteHost } from './host.ts';

export { normalizeHost } from './host.ts';

export interface Upstream {
  host: string;
  port: number;
}

export interface Route {
  app: string;
  /** Exact host names, lowercase, no port (e.g. "hello.localhost"); a leading "*." is a wildcard for one label. */
  hosts: string[];
  /** Healthy web instances; empty = the app has no running instance. */
  upstreams: Upstream[];
  /**
   * `sleeping`: no instance on purpose; the next request must wake the app. `crashing`: every web instance of the
   * current release is crashed and has crashed again and again (a crash loop, restarted with a growing delay): a
   * request is held briefly, not for the whole start-up wait, and then told so.
   */
  /** `maintenance` (maintenance:on) and `undeployed` (no release yet) are answered by the router's page, like `stopped`. */
  state: 'running' | 'stopped' | 'starting' | 'sleeping' | 'crashing' | 'maintenance' | 'undeployed';
  /** The app's own upstream idle timeout (ms), overriding the router's default; ignored unless > 0. */
  timeoutMs?: number;
  /** Plain HTTP requests get a 308 to the same URL over HTTPS (ACME challenges excepted). */
  httpsOnly?: boolean;
  /** Most request body bytes passed to the app (413 beyond); 0: no limit; unset: the router's default. */
  maxBodyBytes?: number;
  /**
   * Headers the router adds to every request it passes on (names lowercase, router-owned: a client's are
   * dropped). The dashboard's route proves with one that a request came through the router.
   */
  upstreamHeaders?: Record<string, string>;
}

export interface Match {
  route: Route;
  /** Next upstream in round-robin order; null when the app is stopped, sleeping or has no instance. */
  upstream: Upstream | null;
}

interface Snapshot {
  routes: Route[];
  exact: Map<string, Route>;
  /** Keyed by the suffix after `*.`, e.g. `example.com` for `*.example.com`. */
  wildcard: Map<string, Route>;
  /** First route of each app. */
  apps: Map<string, Route>;
}

type Waiter = (upstream: Upstream | null) => void;

/** Why an upstream is out of rotation (a connect's error code, or a probe's timeout), for the router's log. */
export type HealthListener = (app: string, upstream: Upstream, out: string | null) => void;

export class RouteTable {
  private snap: Snapshot = { routes: [], exact: new Map(), wildcard: new Map(), apps: new Map() };
  // Round-robin cursors live outside the snapshot, keyed by app, so a table refreshed every
  // few seconds by health checks does not reset them and pile requests onto the first instance.
  private cursors = new Map<string, number>();
  private waiters = new Map<string, Set<Waiter>>();
  // Upstreams a connection could not reach (`host:port` → why), out of rotation until a probe reaches them again
  // (proxy/edge/probe.ts). minicloud learns that an instance (or its node) died only later; meanwhile requests skip it.
  private suspects = new Map<string, string>();
  private listeners = new Set<(routes: Route[]) => void>();
  private health = new Set<HealthListener>();

  constructor(routes: Route[] = []) {
    this.replace(routes);
  }

  /**
   * Atomically swap the whole table. Routes are copied, so later mutation by the caller does
   * not leak in. Host names are normalized; invalid ones are dropped; when two routes claim
   * the same host the first one wins. Settles the waiters of apps that now have an upstream
   * (each gets the next one in round-robin order) or that were stopped or removed (null).
   */
  replace(routes: Route[]): void {
    const next: Snapshot = { routes: [], exact: new Map(), wildcard: new Map(), apps: new Map() };
    for (const r of routes) {
      const route: Route = {
        app: r.app,
        state: r.state,
        upstreams: r.upstreams.map((u) => ({ host: u.host, port: u.port })),
        hosts: [],
      };
      if (typeof r.timeoutMs === 'number' && r.timeoutMs > 0 && Number.isFinite(r.timeoutMs)) route.timeoutMs = r.timeoutMs;
      if (r.httpsOnly === true) route.httpsOnly = true;
      if (typeof r.maxBodyBytes === 'number' && r.maxBodyBytes >= 0 && Number.isFinite(r.maxBodyBytes)) route.maxBodyBytes = r.maxBodyBytes;
      if (r.upstreamHeaders) route.upstreamHeaders = { ...r.upstreamHeaders };
      for (const raw of r.hosts) {
        const host = normalizeRouteHost(raw);
        if (host === null) continue;
        const [map, key] = host.startsWith('*.') ? [next.wildcard, host.slice(2)] : [next.exact, host];
        if (map.has(key)) continue;
        map.set(key, route);
        route.hosts.push(host);
      }
      next.routes.push(route);
      if (!next.apps.has(route.app)) next.apps.set(route.app, route);
    }
    for (const app of this.cursors.keys()) if (!next.apps.has(app)) this.cursors.delete(app);
    this.snap = next;
    // A suspect stays out while it is in the table: minicloud may not know yet that it died (a node gone outright).
    const live = liveUpstreams(next.routes);
    for (const k of this.suspects.keys()) if (!live.has(k)) this.suspects.delete(k);
    for (const listener of this.listeners) listener(next.routes);
    for (const [app, set] of this.waiters) {
      const route = next.apps.get(app);
      if (route && !pageOnly(route) && !routable(route)) continue; // still on its way up
      for (const settle of [...set]) settle(route ? this.next(route) : null);
    }
  }

  /** Route for a Host header (port stripped, case and trailing dot ignored); exact beats wildcard. */
  lookup(hostHeader: string | undefined): Match | null {
    const host = normalizeHost(hostHeader);
    if (host === null) return null;
    const route = this.snap.exact.get(host) ?? this.wildcardMatch(host);
    if (!route) return null;
    return { route, upstream: this.next(route) };
  }

  /** Whether a route claims this host (exact or wildcard); unlike lookup(), moves no round-robin cursor. */
  serves(hostHeader: string | undefined): boolean {
    const host = normalizeHost(hostHeader);
    return host !== null && (this.snap.exact.has(host) || this.wildcardMatch(host) !== undefined);
  }

  routes(): Route[] {
    return [...this.snap.routes];
  }

  /**
   * Calls `listener` with the normalized routes after every replace() (e.g. to pass the table on
   * to router worker processes); returns the unsubscribe function. A throwing listener is its bug.
   */
  subscribe(listener: (routes: Route[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with an upstream of `app` as soon as a replace() gives it one (at once if it has one
   * now); with null after `timeoutMs`, when `signal` aborts, or when the app is stopped or removed.
   * A settled or aborted wait leaves nothing behind.
   */
  waitForUpstream(app: string, timeoutMs: number, signal?: AbortSignal): Promise<Upstream | null> {
    const route = this.snap.apps.get(app);
    if (!route || pageOnly(route) || signal?.aborted) return Promise.resolve(null);
    const now = this.next(route);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      let set = this.waiters.get(app);
      if (!set) this.waiters.set(app, (set = new Set()));
      const waiters = set;
      const settle: Waiter = (upstream) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        waiters.delete(settle);
        if (waiters.size === 0 && this.waiters.get(app) === waiters) this.waiters.delete(app);
        resolve(upstream);
      };
      const abort = () => settle(null);
      const timer = setTimeout(abort, timeoutMs);
      signal?.addEventListener('abort', abort, { once: true });
      waiters.add(settle);
    });
  }

  /**
   * Takes `upstream` out of round-robin (a connection to it failed: `why`) until cleared() (a probe reached it) or it
   * leaves the table; the health listeners hear of it the first time.
   */
  suspect(upstream: Upstream, why = 'refused'): void {
    const k = upstreamKey(upstream);
    const route = this.routeOf(k);
    if (this.suspects.has(k) || !route) return; // a late word of an instance no longer in the table: nothing to skip
    this.suspects.set(k, why);
    for (const listener of this.health) listener(route.app, upstream, why);
  }

  /** `upstream` answered a probe: back in rotation (the listeners hear of it when it was out). */
  cleared(upstream: Upstream): void {
    const k = upstreamKey(upstream);
    const route = this.suspects.delete(k) ? this.routeOf(k) : undefined;
    if (route) for (const listener of this.health) listener(route.app, upstream, null);
  }

  isSuspect(upstream: Upstream): boolean {
    return this.suspects.has(upstreamKey(upstream));
  }

  /** Told when an upstream goes out of rotation (why) or comes back (null); returns the unsubscribe function. */
  onHealth(listener: HealthListener): () => void {
    this.health.add(listener);
    return () => this.health.delete(listener);
  }

  private routeOf(key: string): Route | undefined {
    return this.snap.routes.find((r) => r.upstreams.some((u) => upstreamKey(u) === key));
  }

  /**
   * Where to retry a request `failed` could not take: the route's other upstreams once each, in
   * round-robin order from `failed`, the ones not suspect first. Leaves the cursor alone.
   */
  fallbacks(route: Route, failed: Upstream): Upstream[] {
    const ups = route.upstreams;
    const at = ups.findIndex((u) => upstreamKey(u) === upstreamKey(failed));
    const others = ups.map((_, i) => ups[(at + 1 + i) % ups.length]!).filter((u) => upstreamKey(u) !== upstreamKey(failed));
    return [...others.filter((u) => !this.isSuspect(u)), ...others.filter((u) => this.isSuspect(u))];
  }

  /** How many waitForUpstream() calls for `app` are pending (for tests and metrics). */
  waiting(app: string): number {
    return this.waiters.get(app)?.size ?? 0;
  }

  private wildcardMatch(host: string): Route | undefined {
    const dot = host.indexOf('.');
    return dot > 0 ? this.snap.wildcard.get(host.slice(dot + 1)) : undefined;
  }

  /** The next upstream in round-robin order that is not suspect; when all are, the next one anyway. */
  private next(route: Route): Upstream | null {
    if (!routable(route)) return null;
    const n = route.upstreams.length;
    const first = (this.cursors.get(route.app) ?? 0) % n;
    let i = first;
    for (let step = 0; step < n; step++) {
      const at = (first + step) % n;
      if (!this.isSuspect(route.upstreams[at]!)) {
        i = at;
        break;
      }
    }
    this.cursors.set(route.app, (i + 1) % n);
    return route.upstreams[i] ?? null;
  }
}

/** One instance's key (`host:port`): for the table's suspects and the engines' connection pools alike. */
export function upstreamKey(u: Upstream): string {
  return `${u.host}:${u.port}`;
}

/** The keys of every instance the routes have: pools of any other instance can go. */
export function liveUpstreams(routes: Route[]): Set<string> {
  return new Set(routes.flatMap((r) => r.upstreams.map(upstreamKey)));
}

/** Whether requests can go to the route's upstreams right now. */
function routable(route: Route): boolean {
  return !pageOnly(route) && route.state !== 'sleeping' && route.upstreams.length > 0;
}

/** A route no request goes through: stopped, in maintenance or never deployed; the router answers with its page. */
export function pageOnly(route: Route): boolean {
  return route.state === 'stopped' || route.state === 'maintenance' || route.state === 'undeployed';
}
