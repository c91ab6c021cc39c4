// Reading what the app says about itself: the health check in cloud_manifest.yml or app.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UserError, type Artifact } from '../core/index.ts';

type Healthcheck = NonNullable<Artifact['healthcheck']>;

function checkPath(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^\/[^\s]{0,199}$/.test(v)) {
    throw new UserError(`${file}: ${field} must be a URL path starting with / (got ${JSON.stringify(v)})`, 'e.g. `healthcheck: /health`');
  }
  return v;
}

function checkTimeout(file: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 600) {
    throw new UserError(`${file}: ${field} must be a whole number of seconds from 1 to 600 (got ${JSON.stringify(v)})`);
  }
  return v;
}

function fromManifest(src: string): Healthcheck | undefined {
  const file = 'cloud_manifest.yml';
  const path = join(src, file);
  if (!existsSync(path)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const hc = (doc as { healthcheck?: unknown } | null)?.healthcheck;
  if (hc === undefined || hc === null) return undefined;
  if (typeof hc === 'string') return { path: checkPath(file, 'healthcheck', hc) };
  if (typeof hc !== 'object') throw new UserError(`${file}: healthcheck must be a path or { path, timeout }`);
  const o = hc as { path?: unknown; timeout?: unknown };
  return { path: checkPath(file, 'healthcheck.path', o.path), startTimeoutSeconds: checkTimeout(file, 'healthcheck.timeout', o.timeout) };
}

// Dokku's app.json shape: { "healthchecks": { "web": [ { "type": "startup", "path": "/health", "timeout": 60 } ] } }
function fromAppJson(src: string): Healthcheck | undefined {
  const file = 'app.json';
  const path = join(src, file);
  if (!existsSync(path)) return undefined;
  let doc: { healthchecks?: { web?: Array<{ path?: unknown; timeout?: unknown; type?: string }> } };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (e) {
    throw new UserError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const web = doc?.healthchecks?.web?.find((c) => c.path !== undefined && (c.type ?? 'startup') === 'startup');
  if (!web) return undefined;
  return { path: checkPath(file, 'healthchecks.web[].path', web.path), startTimeoutSeconds: checkTimeout(file, 'healthchecks.web[].timeout', web.timeout) };
}

export function readHealthcheck(src: string): Healthcheck | undefined {
  return fromManifest(src) ?? fromAppJson(src);
}
