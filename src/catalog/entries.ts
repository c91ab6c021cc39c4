// The app catalog: `catalog/<id>.json` files at the repository root, each checked against `catalog/schema.json`
// (JSON Schema 2020-12) and then for what a schema cannot say (pinned tags, one image, ids matching names).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { compareVersions } from './versions.ts';
import { CHECKOUT, NotFoundError, UserError, checkConfigChanges, parseRouterSetting, validateImageRef, type CatalogEntry, type CatalogList, type RouterSettings } from '../core/index.ts';

export type { CatalogEntry } from '../core/index.ts';

/**
 * An input's pattern, matched whole. Entries are the maintainers' data, and test/unit/redos.test.ts checks every
 * entry's patterns for catastrophic backtracking, as the values (an admin's `--set`) are matched in the server.
 */
export function inputPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** The catalog shipped with minicloud, beside buildpacks/. */
export const CATALOG_DIR = `${join(CHECKOUT, 'catalog')}/`;
const SCHEMA = 'schema.json';
// An entry is a page of JSON; a bigger file is not one.
const ENTRY_LIMIT = 64 * 1024;

let compiled: { dir: string; validate: ValidateFunction } | null = null;

function validator(dir: string): ValidateFunction {
  if (compiled?.dir !== dir) {
    // ajv is required here, at the catalog's first use, not at minicloud's start (synchronously: readEntry is).
    const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ allErrors: false, strict: true });
    compiled = { dir, validate: ajv.compile(JSON.parse(readFileSync(join(dir, SCHEMA), 'utf8')) as object) };
  }
  return compiled.validate;
}

/** `processes.web.port`, from ajv's `/processes/web/port`: the field as the entry's author wrote it. */
function field(e: ErrorObject): string {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (e.keyword === 'required') path.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p)).join('') || '(top level)';
}

function schemaMessage(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is missing';
  if (e.keyword === 'additionalProperties') return 'is not a known field';
  if (e.keyword === 'pattern') return `must match ${String(e.params.pattern)}`;
  return e.message ?? 'is not valid';
}

/** The processes' env as the app's config vars (minicloud's config is per app): a key two processes set differently is refused. */
export function processEnv(entry: CatalogEntry): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [type, p] of Object.entries(entry.processes)) {
    for (const [k, v] of Object.entries(p.env ?? {})) {
      if (k in env && env[k] !== v) throw new Error(`${type}.env.${k} differs from another process's: config vars are per app`);
      env[k] = v;
    }
  }
  return env;
}

/** The entry's router settings as the store keeps them; a value `router:set` would refuse throws its UserError. */
export function routerSettings(entry: CatalogEntry): Partial<RouterSettings> {
  return Object.assign({}, ...Object.entries(entry.router ?? {}).map(([name, value]) => parseRouterSetting(name, value)));
}

/** What a schema cannot say: the id is the file's name, images pinned at the entry's version, one image for all. */
function semantics(entry: CatalogEntry, file: string): [string, string] | null {
  if (`${entry.id}.json` !== file) return ['id', `must be the file's name without .json (${file.replace(/\.json$/, '')})`];
  const types = Object.keys(entry.processes);
  const first = entry.processes[types[0]!]!.image;
  for (const type of types) {
    const p = entry.processes[type]!;
    validateImageRef(p.image);
    const tag = p.image.slice(p.image.lastIndexOf(':') + 1);
    if (!tag.startsWith(entry.version)) return [`processes.${type}.image`, `must be pinned at version ${entry.version} (its tag ${tag} does not start with it)`];
    if (p.image !== first) return [`processes.${type}.image`, `must be ${first}: minicloud releases one image per app, and every process runs it`];
    if (p.port !== undefined && type !== 'web') return [`processes.${type}.port`, 'is for web only: minicloud routes one HTTP port per app'];
  }
  const versions = entry.versions ?? [];
  for (const [i, v] of versions.entries()) {
    validateImageRef(v.image);
    const tag = v.image.slice(v.image.lastIndexOf(':') + 1);
    if (!tag.startsWith(v.version)) return [`versions[${i}].image`, `must be pinned at version ${v.version} (its tag ${tag} does not start with it)`];
    if ([entry.version, ...versions.slice(0, i).map((x) => x.version)].includes(v.version)) return [`versions[${i}].version`, `${v.version} is listed twice`];
    if (compareVersions(v.version, entry.version) > 0) return [`versions[${i}].version`, `${v.version} is newer than version ${entry.version}: the pinned version is the newest`];
  }
  try {
    routerSettings(entry);
  } catch (e) {
    return ['router', (e as Error).message];
  }
  let env: Record<string, string>;
  try {
    env = processEnv(entry);
  } catch (e) {
    return ['processes', (e as Error).message];
  }
  const keys = [...(entry.inputs ?? []), ...(entry.secrets ?? [])].map((i) => i.key);
  const mapped = (entry.addons ?? []).flatMap((a) => Object.keys(a.env ?? {}));
  const twice = [...keys, ...Object.keys(env), ...mapped].find((k, i, all) => all.indexOf(k) !== i);
  if (twice) return ['(config vars)', `${twice} is set twice (inputs, secrets, process env and add-on env each set their own)`];
  try {
    checkConfigChanges({}, Object.fromEntries([...keys, ...mapped].map((k) => [k, 'x'])));
    checkConfigChanges({}, env);
  } catch (e) {
    return ['(config vars)', (e as Error).message];
  }
  return inputProblem(entry);
}

/** Input patterns that compile, and htpasswd secrets made of inputs that cannot break the line. */
function inputProblem(entry: CatalogEntry): [string, string] | null {
  for (const [i, input] of (entry.inputs ?? []).entries()) {
    try {
      inputPattern(input.pattern);
    } catch {
      return [`inputs[${i}].pattern`, 'is not a regular expression'];
    }
  }
  for (const [i, sec] of (entry.secrets ?? []).entries()) {
    const inputs = entry.inputs ?? [];
    for (const side of ['user', 'password'] as const) {
      const key = sec.htpasswd?.[side];
      if (key !== undefined && !inputs.some((x) => x.key === key)) return [`secrets[${i}].htpasswd.${side}`, `must name an input (${key} is none)`];
    }
    const user = inputs.find((x) => x.key === sec.htpasswd?.user);
    if (user && (inputPattern(user.pattern).test('a:b') || inputPattern(user.pattern).test('a\nb'))) {
      return [`secrets[${i}].htpasswd.user`, `names ${user.key}, whose pattern lets : or a line break in (an htpasswd line would break)`];
    }
  }
  return null;
}

/** Reads and checks one entry file; a broken entry is a UserError naming the file and the field. */
export function readEntry(dir: string, file: string): CatalogEntry {
  const text = readFileSync(join(dir, file), 'utf8');
  if (text.length > ENTRY_LIMIT) throw new UserError(`catalog/${file} is ${text.length} characters; an entry is at most ${ENTRY_LIMIT}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`catalog/${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const validate = validator(dir);
  if (!validate(doc)) {
    const e = validate.errors![0]!;
    throw new UserError(`catalog/${file}: ${field(e)} ${schemaMessage(e)}`, 'see catalog/schema.json');
  }
  const entry = doc as CatalogEntry;
  const problem = semantics(entry, file);
  if (problem) throw new UserError(`catalog/${file}: ${problem[0]} ${problem[1]}`, 'see catalog/schema.json and the catalog section of the README');
  return entry;
}

/** Every entry of the catalog directory, read afresh (a few small files): the good ones and the broken ones. */
export function loadCatalog(dir = CATALOG_DIR): CatalogList {
  const out: CatalogList = { entries: [], broken: [] };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== SCHEMA).sort()) {
    try {
      out.entries.push(readEntry(dir, file));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.broken.push({ file, error: e.message });
    }
  }
  return out;
}

/** One entry by id; an unknown id, or a broken entry, says so. */
export function catalogEntry(id: string, dir = CATALOG_DIR): CatalogEntry {
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(id)) throw new UserError(`${JSON.stringify(id.slice(0, 40))} is not a catalog id`, 'see `minicloud catalog`');
  const c = loadCatalog(dir);
  const broken = c.broken.find((b) => b.file === `${id}.json`);
  if (broken) throw new UserError(broken.error, 'the catalog entry is broken; fix it before installing', 500);
  const entry = c.entries.find((e) => e.id === id);
  if (!entry) throw new NotFoundError(`the catalog has no ${id}`, `see \`minicloud catalog\` (${c.entries.map((e) => e.id).join(', ')})`);
  return entry;
}
