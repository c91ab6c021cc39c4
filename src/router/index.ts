// router: the pure host → app route table the HTTP edge proxies by; no I/O.
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
  state: 'running' | 'stopped' | 'starting';
}

export interface Match {
  route: Route;
  /** Next upstream in round-robin order; null when the app is stopped or has no instance. */
  upstream: Upstream | null;
}

interface Snapshot {
  routes: Route[];
  exact: Map<string, Route>;
  /** Keyed by the suffix after `*.`, e.g. `example.com` for `*.example.com`. */
  wildcard: Map<string, Route>;
}

export class RouteTable {
  private snap: Snapshot = { routes: [], exact: new Map(), wildcard: new Map() };
  // Round-robin cursors live outside the snapshot, keyed by app, so a table refreshed every
  // few seconds by health checks does not reset them and pile requests onto the first instance.
  private cursors = new Map<string, number>();

  constructor(routes: Route[] = []) {
    this.replace(routes);
  }

  /**
   * Atomically swap the whole table. Routes are copied, so later mutation by the caller does
   * not leak in. Host names are normalized; invalid ones are dropped; when two routes claim
   * the same host the first one wins.
   */
  replace(routes: Route[]): void {
    const next: Snapshot = { routes: [], exact: new Map(), wildcard: new Map() };
    for (const r of routes) {
      const route: Route = {
        app: r.app,
        state: r.state,
        upstreams: r.upstreams.map((u) => ({ host: u.host, port: u.port })),
        hosts: [],
      };
      for (const raw of r.hosts) {
        const host = normalizeRouteHost(raw);
        if (host === null) continue;
        const [map, key] = host.startsWith('*.') ? [next.wildcard, host.slice(2)] : [next.exact, host];
        if (map.has(key)) continue;
        map.set(key, route);
        route.hosts.push(host);
      }
      next.routes.push(route);
    }
    const apps = new Set(next.routes.map((r) => r.app));
    for (const app of this.cursors.keys()) if (!apps.has(app)) this.cursors.delete(app);
    this.snap = next;
  }

  /** Route for a Host header (port stripped, case and trailing dot ignored); exact beats wildcard. */
  lookup(hostHeader: string | undefined): Match | null {
    const host = normalizeHost(hostHeader);
    if (host === null) return null;
    const route = this.snap.exact.get(host) ?? this.wildcardMatch(host);
    if (!route) return null;
    return { route, upstream: this.next(route) };
  }

  routes(): Route[] {
    return [...this.snap.routes];
  }

  private wildcardMatch(host: string): Route | undefined {
    const dot = host.indexOf('.');
    return dot > 0 ? this.snap.wildcard.get(host.slice(dot + 1)) : undefined;
  }

  private next(route: Route): Upstream | null {
    const n = route.upstreams.length;
    if (route.state === 'stopped' || n === 0) return null;
    const i = (this.cursors.get(route.app) ?? 0) % n;
    this.cursors.set(route.app, (i + 1) % n);
    return route.upstreams[i] ?? null;
  }
}
