// REST routes for what minicloud runs on (GET /status) and an app's resource limits (memory).
import { Router, type Request } from 'express';
import { UserError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { AppsService } from './apps-service.ts';

export interface ServerStatus {
  runtime: 'docker' | 'process';
  /** The engine's version, when the runtime is Docker. */
  docker: string | null;
  builds: { concurrency: number; memoryMb: number | null };
  defaultMemoryMb: number;
  /** How apps are kept apart: 'containers', 'per-app users' (host processes as root) or 'none'. */
  isolation: { mode: 'containers' | 'per-app users' | 'none'; summary: string };
  apps: number;
}

export interface ResourcesDeps {
  store: Store;
  service: AppsService;
  status: () => Omit<ServerStatus, 'apps'>;
}

const MIN_MB = 16;
const MAX_MB = 1024 * 1024;

/** `512`, `512M`, `512MiB`, `1G`, or null to go back to the default. */
export function parseMemory(v: unknown): number | null {
  if (v === null || v === 'default') return null;
  const m = /^(\d+)\s*(m|mb|mib|g|gb|gib)?$/i.exec(String(v).trim());
  const mb = m ? Number(m[1]) * (/^g/i.test(m[2] ?? '') ? 1024 : 1) : NaN;
  if (!Number.isInteger(mb) || mb < MIN_MB || mb > MAX_MB) {
    throw new UserError(`memory must be a size from ${MIN_MB}M up, like 512M or 1G (got ${JSON.stringify(v)})`, 'e.g. `minicloud resources:set my-app memory=512M`, or memory=default');
  }
  return mb;
}

export function resourcesRoutes(d: ResourcesDeps): Router {
  const r = Router();
  const view = (name: string) => {
    const app = d.store.requireApp(name);
    const s = d.status();
    return { memoryMb: app.memoryMb ?? s.defaultMemoryMb, default: app.memoryMb === null, enforced: s.runtime === 'docker' };
  };
  r.get('/status', (_req, res) => { res.json({ ...d.status(), apps: d.store.listApps().length } satisfies ServerStatus); });
  r.get('/apps/:app/resources', (req: Request, res) => { res.json(view(String(req.params.app))); });
  r.put('/apps/:app/resources', async (req: Request, res) => {
    const app = d.store.requireApp(String(req.params.app));
    const body = (req.body ?? {}) as { memory?: unknown };
    if (!('memory' in body)) throw new UserError('nothing to set', 'send {"memory": "512M"}');
    const mb = parseMemory(body.memory);
    d.store.setMemory(app.name, mb);
    // Running instances keep their old limit until they are replaced: restart them now, as Heroku does.
    const deploy = app.currentRelease && app.state === 'running'
      ? await d.service.runAndWait(app.name, 'restart', `Memory limit ${mb === null ? 'reset' : `${mb} MiB`}`)
      : null;
    res.json({ ...view(app.name), deploy });
  });
  return r;
}
