// Deriving the router's table from the state store: each running app's healthy web instances and its host names.
import type { Route } from './router/index.ts';
import type { Store } from './store/index.ts';

export function routesFromState(store: Store, domain: string): Route[] {
  const custom = new Map<string, string[]>();
  for (const d of store.domains.all()) custom.set(d.app, [...(custom.get(d.app) ?? []), d.domain]);
  return store.listApps().map((app) => {
    const upstreams = store.listInstances(app.name)
      .filter((i) => i.type === 'web' && i.state === 'up' && i.release === app.currentRelease)
      .map((i) => ({ host: i.host, port: i.port }));
    const state: Route['state'] = app.state === 'stopped' ? 'stopped' : app.state === 'sleeping' ? 'sleeping' : upstreams.length ? 'running' : 'starting';
    // The default host first; custom domains (wildcards included) after it.
    return { app: app.name, hosts: [`${app.name}.${domain}`, ...(custom.get(app.name) ?? [])], upstreams, state };
  });
}
