// The app manifest, cloud_manifest.yml (.yaml or .json; or app.json's health checks): read and validated, errors naming the field.
import { parseYaml } from './yaml-shape.ts';
import { UserError, excerpt, printable, validateAppName, type Manifest } from '../core/index.ts';
import { FILE_LIMIT, readTreeFile } from './tree-file.ts';
import { yamlShapeProblem } from './yaml-shape.ts';

type Healthcheck = NonNullable<Manifest['healthcheck']>;

/** The names a manifest may have, in a tree's root or an image; a tree with two of them is refused. */
export const MANIFEST_FILES = ['cloud_manifest.yml', 'cloud_manifest.yaml', 'cloud_manifest.json'] as const;
export type ManifestFile = (typeof MANIFEST_FILES)[number];
// A manifest is a few fields, and the YAML parser is not fast: 289 KB of keys took it 43 s (unique-key checks are
// quadratic), 1 MB of blank lines 2.7 s. At 8 KiB a hostile one costs it tens of milliseconds.
const MANIFEST_LIMIT = 8 * 1024;
const KNOWN = ['name', 'expose', 'needs', 'healthcheck', 'cron'];
const NEEDS = ['database', 'messagebus', 'storage', 'redis'] as const;
// One cron field: *, a number, a range, a list, each with an optional /step.
const CRON_FIELD = /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/;
const EXPOSE_HINT = 'e.g. `expose: { proto: http, port: 8080 }`, or the list `expose: [{ proto: http, port: 80 }]`; minicloud routes one HTTP port per app';

/** A field's problem, made a UserError naming the manifest's file by parseManifest. */
class FieldProblem extends Error {
  constructor(readonly field: string, readonly what: string, readonly got: unknown, readonly hint?: string) {
    super(`${field} ${what}`);
  }
}

const fail = (field: string, what: string, got: unknown, hint?: string): never => {
  throw new FieldProblem(field, what, got, hint);
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

/** A whole number from `min` to `max`, or undefined when not given. */
function checkCount(field: string, v: unknown, min: number, max: number, unit: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be a whole number of ${unit} from ${min} to ${max}`, v);
  return v as number;
}

const HC_FIELDS = ['path', 'timeout', 'interval', 'probe_timeout', 'failures'];

function healthcheck(hc: unknown): Healthcheck {
  const path = (field: string, v: unknown) => (typeof v === 'string' && /^\/\S{0,199}$/.test(v) ? v : fail(field, 'must be a URL path starting with /', v, 'e.g. `healthcheck: /health`'));
  if (typeof hc === 'string') return { path: path('healthcheck', hc) };
  if (!hc || typeof hc !== 'object' || Array.isArray(hc)) return fail('healthcheck', 'must be a path or { path, timeout, interval, probe_timeout, failures }', hc);
  const o = hc as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !HC_FIELDS.includes(k));
  if (unknown) fail(`healthcheck.${unknown}`, `is not a known field (known: ${HC_FIELDS.join(', ')})`, o[unknown]);
  const out: Healthcheck = {
    ...(o.path !== undefined && { path: path('healthcheck.path', o.path) }),
    startTimeoutSeconds: checkCount('healthcheck.timeout', o.timeout, 1, 600, 'seconds'),
    intervalSeconds: checkCount('healthcheck.interval', o.interval, 1, 60, 'seconds'),
    probeTimeoutSeconds: checkCount('healthcheck.probe_timeout', o.probe_timeout, 1, 60, 'seconds'),
    failures: checkCount('healthcheck.failures', o.failures, 1, 20, 'probes'),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Healthcheck;
}

/** One `{ proto, port }` entry; `field` is `expose` or `expose[i]`. Only HTTP is routed: say so instead of ignoring it. */
function exposeEntry(v: unknown, field: string): { proto: 'http'; port: number } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(field, 'must be { proto: http, port: N }', v, EXPOSE_HINT);
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => k !== 'proto' && k !== 'port');
  if (extra) fail(`${field}.${extra}`, 'is not a known field (known: proto, port)', o[extra], EXPOSE_HINT);
  if (o.proto !== undefined && o.proto !== 'http') {
    fail(`${field}.proto`, 'must be http: minicloud\'s router forwards HTTP (and HTTPS, ending TLS itself) only; other protocols are not routed', o.proto, EXPOSE_HINT);
  }
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) fail(`${field}.port`, 'must be a port number from 1 to 65535', o.port, EXPOSE_HINT);
  return { proto: 'http', port: o.port as number };
}

/**
 * A mapping, or a list whose first entry is the web port. A second entry is refused rather than ignored: the
 * app would expect it served, and minicloud routes one HTTP port per app (other processes reach each other
 * on the app's own network, unrouted).
 */
function expose(v: unknown): Manifest['expose'] {
  if (!Array.isArray(v)) return exposeEntry(v, 'expose');
  if (v.length === 0) return fail('expose', 'must name the web port', v, EXPOSE_HINT);
  const first = exposeEntry(v[0], 'expose[0]');
  if (v.length > 1) {
    exposeEntry(v[1], 'expose[1]');
    fail('expose[1]', `is a second port: minicloud routes one HTTP port per app (expose[0], port ${first.port}); remove the other entries`, v[1], EXPOSE_HINT);
  }
  return first;
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

/** The document of a manifest's text: JSON for `.json`, YAML otherwise; the same size and nesting bounds for both. */
function parseText(text: string, file: ManifestFile): unknown {
  if (text.length > MANIFEST_LIMIT) throw new UserError(`${file} is ${text.length} characters; minicloud reads at most ${MANIFEST_LIMIT}`, 'a manifest lists a few fields; keep it short');
  // Brackets nest JSON as they do YAML's flow style: refused past the same depth before either parser runs.
  const shape = yamlShapeProblem(text);
  if (shape) throw new UserError(`${file} is refused: ${shape}`, 'a manifest needs plain fields, lists and maps; see the manifest section of the README');
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // V8's message quotes the text itself: say only where it broke.
      const at = /position (\d+)/.exec((e as Error).message);
      throw new UserError(`${file} is not valid JSON${at ? ` (at character ${at[1]})` : ''}`, 'e.g. {"expose": {"proto": "http", "port": 80}, "needs": ["database"]}');
    }
  }
  try {
    // Warnings would print the text itself to minicloud's own log.
    return parseYaml(text, { logLevel: 'error' });
  } catch (e) {
    throw new UserError(`${file} is not valid YAML: ${printable((e as Error).message.split('\n')[0]!, 120)}`);
  }
}

function fields(o: Record<string, unknown>): Manifest {
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

/** Parses and validates manifest text (YAML, or JSON when `file` says so); every error names the file and field. */
export function parseManifest(text: string, file: ManifestFile = 'cloud_manifest.yml'): Manifest {
  const doc = parseText(text, file);
  if (doc === null || doc === undefined) return {};
  try {
    if (typeof doc !== 'object' || Array.isArray(doc)) return fail('(top level)', 'must be a mapping of fields', doc);
    return fields(doc as Record<string, unknown>);
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e;
    throw new UserError(`${file}: ${e.field} ${e.what} (got ${excerpt(e.got)})`, e.hint ?? 'see the manifest section of the README');
  }
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

/** The manifest of a source tree: cloud_manifest.yml (.yaml, .json), with app.json's health check when it has none. */
export function readManifest(src: string): Manifest {
  const found = MANIFEST_FILES.flatMap((file) => {
    const text = readTreeFile(src, file, { limit: MANIFEST_LIMIT });
    return text === null ? [] : [{ file, text }];
  });
  if (found.length > 1) {
    throw new UserError(`the repository has ${found.map((f) => f.file).join(' and ')}; minicloud reads one manifest`, `keep one of them (git rm ${found[1]!.file})`);
  }
  const m = found[0] ? parseManifest(found[0].text, found[0].file) : {};
  if (!m.healthcheck) {
    const hc = fromAppJson(src);
    if (hc) m.healthcheck = hc;
  }
  return m;
}
