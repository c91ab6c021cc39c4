// Deriving the router's table from the state store: each running app's healthy web instances and its host names.
import type { Route } from '../routes/index.ts';
import { CRASH_LOOP_RESTARTS, ROUTER_PROOF } from '../core/index.ts';
import type { Store, StoredInstance } from '../store/index.ts';

export function routesFromState(store: Store, domain: string): Route[] {
  const custom = new Map<string, string[]>();
  for (const d of store.domains.all()) custom.set(d.app, [...(custom.get(d.app) ?? []), d.domain]);
  const settings = store.routerSettings.all();
  return store.apps.list().map((app) => {
    const web = store.instances.list(app.name).filter((i) => i.type === 'web' && i.release === app.currentRelease);
    const upstreams = web.filter((i) => i.state === 'up').map((i) => ({ host: i.host, port: i.port }));
    // Maintenance wins over the rest: the operator asked for that page whatever the app is doing.
    const state: Route['state'] = app.currentRelease === null ? 'undeployed' : app.maintenance ? 'maintenance' : app.state === 'stopped' ? 'stopped' : app.state === 'sleeping' ? 'sleeping' : upstreams.length ? 'running' : crashLooping(web) ? 'crashing' : 'starting';
    // The default host first; custom domains (wildcards included) after it.
    const { timeoutSeconds, httpsOnly, maxBodyBytes } = settings.get(app.name) ?? { timeoutSeconds: null, httpsOnly: false, maxBodyBytes: null };
    return {
      app: app.name, hosts: [`${app.name}.${domain}`, ...(custom.get(app.name) ?? [])], upstreams, state, httpsOnly,
      ...(timeoutSeconds ? { timeoutMs: timeoutSeconds * 1000 } : {}),
      ...(maxBodyBytes !== null ? { maxBodyBytes } : {}),
    };
  });
}

/** Every web instance crashed, each at least CRASH_LOOP_RESTARTS times in a row: nothing will answer soon. */
function crashLooping(web: StoredInstance[]): boolean {
  return web.length > 0 && web.every((i) => i.state === 'crashed' && i.restarts >= CRASH_LOOP_RESTARTS);
}

/** Idle timeout of the dashboard's route: long enough for a followed log or a push through it. */
const ADMIN_TIMEOUT_MS = 60 * 60_000;

/**
 * `admin.<domain>`: the dashboard and the REST API it calls, proxied to minicloud's own API listener.
 * No body limit of the router's: git pushes can be large, and the API bounds its own bodies.
 * Put it first in the table (the first route claiming a host wins); no app may be named `admin`. `httpsOnly`: plain
 * HTTP gets a 308 to https:// (ACME challenges excepted), as it should wherever tokens cross the network.
 */
export function adminRoute(domain: string, api: { host: string; port: number }, httpsOnly = false, routerProof?: string): Route {
  return {
    app: 'admin', hosts: [`admin.${domain}`], upstreams: [{ host: api.host, port: api.port }], state: 'running', timeoutMs: ADMIN_TIMEOUT_MS, maxBodyBytes: 0, httpsOnly,
    // The API believes the router's X-Forwarded-* (the client's address, HTTPS) only with this secret.
    ...(routerProof && { upstreamHeaders: { [ROUTER_PROOF]: routerProof } }),
  };
}

/** The address the router reaches the API at, given MINICLOUD_BIND (a wildcard bind answers on loopback). */
export function apiAddress(bind: string): string {
  return bind === '' || bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
}
