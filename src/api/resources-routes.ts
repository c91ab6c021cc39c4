// REST routes for what minicloud runs on (GET /status) and an app's resource limits (memory, CPU, processes).
import { Router, type Request } from 'express';
import { UserError } from '../core/index.ts';
import { appParam } from './inputs.ts';
import type { RouteDeps, ServerStatus } from './route-deps.ts';


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

/** CPUs as a decimal (`0.5`, `2`), or null to go back to the default. */
export function parseCpu(v: unknown): number | null {
  if (v === null || v === 'default') return null;
  const n = /^\d+(\.\d+)?$/.test(String(v).trim()) ? Number(v) : NaN;
  if (!(n >= 0.01 && n <= 1024)) throw new UserError(`cpu must be a number of CPUs from 0.01 up, like 0.5 or 2 (got ${JSON.stringify(v)})`, 'e.g. `minicloud resources:set my-app cpu=0.5`, or cpu=default');
  return n;
}

/** A process count from 16 up, or null to go back to the default. */
export function parsePids(v: unknown): number | null {
  if (v === null || v === 'default') return null;
  const n = /^\d+$/.test(String(v).trim()) ? Number(v) : NaN;
  if (!(n >= 16 && n <= 1_000_000)) throw new UserError(`pids must be a whole number of processes from 16 up (got ${JSON.stringify(v)})`, 'e.g. `minicloud resources:set my-app pids=256`, or pids=default');
  return n;
}

const SETTINGS = ['memory', 'cpu', 'pids'] as const;

export function resourcesRoutes(d: RouteDeps): Router {
  const r = Router();
  const view = (name: string) => {
    const app = d.store.apps.require(name);
    const s = d.status();
    const enforced = s.runtime !== 'process' || s.limits?.enforced === true; // containers (one engine or the swarm's nodes), or cgroups on the host
    return {
      memoryMb: app.memoryMb ?? s.defaultMemoryMb, default: app.memoryMb === null, enforced,
      cpu: app.cpu ?? s.defaultCpu, cpuDefault: app.cpu === null, cpuEnforced: enforced,
      pids: app.pids ?? s.defaultPids, pidsDefault: app.pids === null, pidsEnforced: enforced || s.isolation.mode === 'per-app users',
    };
  };
  r.get('/status', (_req, res) => { res.json({ ...d.status(), apps: d.store.apps.list().length } satisfies ServerStatus); });
  r.get('/apps/:app/resources', (req: Request, res) => { res.json(view(appParam(req))); });
  r.put('/apps/:app/resources', async (req: Request, res) => {
    const app = d.store.apps.require(appParam(req));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = SETTINGS.filter((k) => k in body);
    const unknown = Object.keys(body).filter((k) => !(SETTINGS as readonly string[]).includes(k));
    if (unknown.length) throw new UserError(`${unknown.join(', ')}: not a resource minicloud limits`, 'set memory, cpu or pids, e.g. {"memory": "512M", "cpu": "0.5", "pids": 256}');
    if (!given.length) throw new UserError('nothing to set', 'send {"memory": "512M"}, {"cpu": "0.5"} or {"pids": 256}');
    // All parsed before any is stored: one bad value changes nothing.
    const mb = 'memory' in body ? parseMemory(body.memory) : undefined;
    const cpu = 'cpu' in body ? parseCpu(body.cpu) : undefined;
    const pids = 'pids' in body ? parsePids(body.pids) : undefined;
    if (mb !== undefined) d.store.apps.setMemory(app.name, mb);
    if (cpu !== undefined) d.store.apps.setCpu(app.name, cpu);
    if (pids !== undefined) d.store.apps.setPids(app.name, pids);
    const what = [mb !== undefined && `memory ${mb === null ? 'default' : `${mb} MiB`}`, cpu !== undefined && `cpu ${cpu ?? 'default'}`, pids !== undefined && `pids ${pids ?? 'default'}`].filter(Boolean).join(', ');
    // Running instances keep their old limit until they are replaced: restart them now, as Heroku does.
    const deploy = app.currentRelease && app.state === 'running'
      ? await d.service.runAndWait(app.name, 'restart', `Limits: ${what}`)
      : null;
    res.json({ ...view(app.name), deploy });
  });
  return r;
}
