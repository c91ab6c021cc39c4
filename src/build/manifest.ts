// The app manifest, cloud_manifest.yml (or app.json's health checks): read and validated, errors naming the field.
import { parse } from 'yaml';
import { UserError, excerpt, printable, validateAppName, type Manifest } from '../core/index.ts';
import { FILE_LIMIT, readTreeFile } from './tree-file.ts';
import { yamlShapeProblem } from './yaml-shape.ts';

type Healthcheck = NonNullable<Manifest['healthcheck']>;

const FILE = 'cloud_manifest.yml';
// A manifest is a few fields, and the YAML parser is not fast: 289 KB of keys took it 43 s (unique-key checks are
// quadratic), 1 MB of blank lines 2.7 s. At 8 KiB a hostile one costs it tens of milliseconds.
const MANIFEST_LIMIT = 8 * 1024;
const KNOWN = ['name', 'expose', 'needs', 'healthcheck', 'cron'];
const NEEDS = ['database', 'messagebus', 'storage', 'redis'] as const;
// One cron field: *, a number, a range, a list, each with an optional /step.
const CRON_FIELD = /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/;

const fail = (field: string, what: string, got: unknown, hint?: string): never => {
  throw new UserError(`${FILE}: ${field} ${what} (got ${excerpt(got)})`, hint ?? 'see the manifest section of the README');
};

function checkPath(file: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^\/\S{0,199}$/.test(v)) {
    throw new UserError(`${file}: ${field} must be a URL path starting with / (got ${excerpt(v)})`, 'e.g. `healthcheck: /health`');
  }
  return v;
}

function checkTimeout(file: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 600) {
    throw new UserError(`${file}: ${field} must be a whole number of seconds from 1 to 600 (got ${excerpt(v)})`);
  }
  return v;
}

function healthcheck(hc: unknown): Healthcheck {
  if (typeof hc === 'string') return { path: checkPath(FILE, 'healthcheck', hc) };
  if (!hc || typeof hc !== 'object') return fail('healthcheck', 'must be a path or { path, timeout }', hc);
  const o = hc as { path?: unknown; timeout?: unknown };
  return { path: checkPath(FILE, 'healthcheck.path', o.path), startTimeoutSeconds: checkTimeout(FILE, 'healthcheck.timeout', o.timeout) };
}

function expose(v: unknown): Manifest['expose'] {
  if (!v || typeof v !== 'object') return fail('expose', 'must be { proto: http, port: N }', v);
  const o = v as { proto?: unknown; port?: unknown };
  if (o.proto !== undefined && o.proto !== 'http') fail('expose.proto', 'must be http', o.proto);
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) fail('expose.port', 'must be a port number from 1 to 65535', o.port);
  return { proto: 'http', port: o.port as number };
}

function needs(v: unknown): Manifest['needs'] {
  if (!Array.isArray(v)) return fail('needs', `must be a list of ${NEEDS.join(', ')}`, v);
  return v.map((n, i) => (NEEDS.includes(n as never) ? (n as (typeof NEEDS)[number]) : fail(`needs[${i}]`, `must be one of ${NEEDS.join(', ')}`, n)));
}

function cron(v: unknown): Manifest['cron'] {
  if (!Array.isArray(v)) return fail('cron', 'must be a list of { schedule, command }', v);
  return v.map((e, i) => {
    const o = (e ?? {}) as { schedule?: unknown; command?: unknown };
    const fields = typeof o.schedule === 'string' ? o.schedule.trim().split(/\s+/) : [];
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) fail(`cron[${i}].schedule`, 'must be a standard 5-field schedule', o.schedule, 'e.g. `*/5 * * * *` (every 5 minutes)');
    if (typeof o.command !== 'string' || !o.command.trim()) fail(`cron[${i}].command`, 'must be the command to run', o.command);
    return { schedule: fields.join(' '), command: (o.command as string).trim() };
  });
}

/** Parses and validates manifest text; every error names the field. */
export function parseManifest(text: string): Manifest {
  if (text.length > MANIFEST_LIMIT) throw new UserError(`${FILE} is ${text.length} characters; minicloud reads at most ${MANIFEST_LIMIT}`, 'a manifest lists a few fields; keep it short');
  const shape = yamlShapeProblem(text);
  if (shape) throw new UserError(`${FILE} is refused: ${shape}`, 'a manifest needs plain fields, lists and maps; see the manifest section of the README');
  let doc: unknown;
  try {
    // Warnings would print the text itself to minicloud's own log.
    doc = parse(text, { logLevel: 'error' });
  } catch (e) {
    throw new UserError(`${FILE} is not valid YAML: ${printable((e as Error).message.split('\n')[0]!, 120)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return fail('(top level)', 'must be a mapping of fields', doc);
  const o = doc as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !KNOWN.includes(k));
  if (unknown) fail(unknown, `is not a known field (known: ${KNOWN.join(', ')})`, o[unknown]);
  const m: Manifest = {};
  if (o.name !== undefined) {
    try {
      m.name = validateAppName(o.name);
    } catch (e) {
      fail('name', (e as UserError).message, o.name);
    }
  }
  if (o.expose !== undefined) m.expose = expose(o.expose);
  if (o.needs !== undefined) m.needs = needs(o.needs);
  if (o.healthcheck !== undefined && o.healthcheck !== null) m.healthcheck = healthcheck(o.healthcheck);
  if (o.cron !== undefined) m.cron = cron(o.cron);
  return m;
}

// Dokku's app.json shape: { "healthchecks": { "web": [ { "type": "startup", "path": "/health", "timeout": 60 } ] } }
function fromAppJson(src: string): Healthcheck | undefined {
  const file = 'app.json';
  const text = readTreeFile(src, file, { limit: FILE_LIMIT });
  if (text === null) return undefined;
  let doc: { healthchecks?: { web?: Array<{ path?: unknown; timeout?: unknown; type?: string }> } };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    // V8's message quotes the text itself: say only where it broke.
    const at = /position (\d+)/.exec((e as Error).message);
    throw new UserError(`${file} is not valid JSON${at ? ` (at character ${at[1]})` : ''}`, 'check it with `node -e "JSON.parse(require(\'fs\').readFileSync(\'app.json\', \'utf8\'))"`');
  }
  const web = doc?.healthchecks?.web?.find((c) => c.path !== undefined && (c.type ?? 'startup') === 'startup');
  if (!web) return undefined;
  return { path: checkPath(file, 'healthchecks.web[].path', web.path), startTimeoutSeconds: checkTimeout(file, 'healthchecks.web[].timeout', web.timeout) };
}

/** The manifest of a source tree: cloud_manifest.yml, with app.json's health check when it has none. */
export function readManifest(src: string): Manifest {
  const text = readTreeFile(src, FILE, { limit: MANIFEST_LIMIT });
  const m = text === null ? {} : parseManifest(text);
  if (!m.healthcheck) {
    const hc = fromAppJson(src);
    if (hc) m.healthcheck = hc;
  }
  return m;
}
