// An app's previews: turned on for some branches (PUT), off (DELETE), their own config (PATCH …/config), and the previews there are (GET).
import { Router } from 'express';
import type { PreviewsInfo } from '../core/index.ts';
import { appParam, parseConfigChanges, parsePreviewSettings } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

export function previewsRoutes(d: RouteDeps): Router {
  const r = Router();
  const info = (app: string): PreviewsInfo => {
    const { settings, previews } = d.previews.status(app);
    return {
      enabled: settings !== null, branches: settings?.branches ?? null, expireSeconds: settings?.expireSeconds ?? null,
      configKeys: Object.keys(settings?.config ?? {}).sort(),
      previews: previews.map((p) => ({ ...p, url: d.appUrl(p.app) })),
    };
  };
  r.get('/apps/:app/previews', (req, res) => { res.json(info(appParam(req))); });
  r.put('/apps/:app/previews', (req, res) => {
    const { branches, expireSeconds } = parsePreviewSettings(req.body, appParam(req));
    d.previews.enable(appParam(req), branches, expireSeconds);
    res.json(info(appParam(req)));
  });
  r.patch('/apps/:app/previews/config', (req, res) => {
    d.previews.updateConfig(appParam(req), parseConfigChanges(req.body, appParam(req)));
    res.json(info(appParam(req)));
  });
  r.delete('/apps/:app/previews', (req, res) => {
    d.previews.disable(appParam(req));
    res.json(info(appParam(req)));
  });
  return r;
}
