// Deriving the router's table from the state store: each running app's healthy web instances.
import type { Route } from './router/index.ts';
import type { Store } from './store/index.ts';

export function routesFromState(store: Store, domain: string): Route[] {
  return store.listApps().map((app) => {
    const upstreams = store.listInstances(app.name)
      .filter((i) => i.type === 'web' && i.state === 'up' && i.release === app.currentRelease)
      .map((i) => ({ host: i.host, port: i.port }));
    const state: Route['state'] = app.state === 'stopped' ? 'stopped' : app.state === 'sleeping' ? 'sleeping' : upstreams.length ? 'running' : 'starting';
    return { app: app.name, hosts: [`${app.name}.${domain}`], upstreams, state };
  });
}
