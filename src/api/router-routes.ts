// REST routes for an app's router settings (upstream timeout, https-only, body limit); a change reaches the router at once.
import { Router } from 'express';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_ROUTER_TIMEOUT_SECONDS, UserError, parseRouterSetting, type RouterReport, type RouterSettings } from '../core/index.ts';
import { appParam } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';


export function routerSettingsRoutes(d: RouteDeps): Router {
  const r = Router();
  const report = (app: string): RouterReport => ({ ...d.store.routerSettings.get(app), defaultTimeoutSeconds: DEFAULT_ROUTER_TIMEOUT_SECONDS, defaultMaxBodyBytes: DEFAULT_MAX_BODY_BYTES });
  r.get('/apps/:app/router', (req, res) => {
    res.json(report(d.store.apps.require(appParam(req)).name));
  });
  /** Body: `{ "name": "timeout", "value": 60 }`, or settings by key: `{ "timeout": 60, "https-only": true }`. */
  r.put('/apps/:app/router', async (req, res) => {
    const app = d.store.apps.require(appParam(req)).name;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const pairs: Array<[unknown, unknown]> = 'name' in body ? [[body.name, body.value]] : Object.entries(body);
    if (pairs.length === 0) throw new UserError('nothing to set', 'send {"name": "timeout", "value": 60} or {"https-only": true}');
    // Every value is checked before any is stored: a bad one changes nothing.
    const patch: Partial<RouterSettings> = Object.assign({}, ...pairs.map(([name, value]) => parseRouterSetting(name, value)));
    d.store.routerSettings.set(app, patch);
    await d.refreshRoutes(app);
    res.json(report(app));
  });
  return r;
}
