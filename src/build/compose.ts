// A Compose file (compose.yaml, docker-compose.yml) as a minicloud app: parsed with bounds (it is untrusted), checked
// whole before anything runs, every refusal naming its key. Per service: src/build/compose-service.ts.
import { parseYaml } from './yaml-shape.ts';
import { UserError, checkConfigChanges, excerpt, isProcessType, printable, validateImageRef, type ComposeAddonKind, type ComposePlan, type ServiceImage } from '../core/index.ts';
import { ComposeProblem, checkService, fail, findCycle, httpProbe, literal, type ServiceFacts } from './compose-service.ts';
import { yamlShapeProblem } from './yaml-shape.ts';

/** The names minicloud looks for at a pushed tree's root, in Compose's own order of preference. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
// A Compose file of a dozen services is a few KiB; the YAML parser's unique-key checks are quadratic (see manifest.ts):
// 62 KiB of keys took it ~0.7 s of the main thread here, 30 KiB ~0.1 s (`npm run bench -- compose`).
export const COMPOSE_LIMIT = 32 * 1024;
export const ENV_FILE_LIMIT = 32 * 1024;
const MAX_SERVICES = 12;
const TOP_KEYS = ['services', 'volumes', 'name', 'version', 'x-minicloud'];
const TOP_REFUSED: Record<string, string> = {
  networks: 'not supported: every service runs on the app\'s own network, where the others reach it by its name',
  secrets: 'not supported: give secrets as config vars (`minicloud config:set`), which every service gets as environment',
  configs: 'not supported: put the file in the image, or its content in a config var',
};
const HINT = 'see the Compose section of the README: what minicloud runs, and what it refuses';

/** The add-on each shared-server image stands for: `postgres:16`, `mariadb:11`, `mysql:8`, `redis:7`, `rabbitmq:3`. */
function addonOfImage(image: string): ComposeAddonKind | null {
  // The last path part without its tag or digest (a registry's `host:5000/` keeps its colon out of the way).
  const repo = (image.split('/').pop() ?? '').split('@')[0]!.split(':')[0]!;
  if (repo === 'postgres' || repo === 'postgis') return 'postgres';
  if (repo === 'mariadb' || repo === 'mysql') return 'mariadb';
  if (repo === 'redis' || repo === 'valkey') return 'redis';
  if (repo === 'rabbitmq') return 'rabbitmq';
  return null;
}

/** The document, bounded: size, nesting and anchors checked before parsing, aliases capped while parsing (billion laughs). */
function document(text: string, file: string): Record<string, unknown> {
  if (text.length > COMPOSE_LIMIT) throw new UserError(`${file} is ${text.length} characters; minicloud reads at most ${COMPOSE_LIMIT}`, 'a Compose file for one app is a few KiB');
  const shape = yamlShapeProblem(text);
  if (shape) throw new UserError(`${file} is refused: ${shape}`, HINT);
  let doc: unknown;
  try {
    // maxAliasCount: an alias expanding to more than this many nodes is an error (the yaml package counts expansions).
    doc = parseYaml(text, { logLevel: 'error', maxAliasCount: 50, uniqueKeys: true });
  } catch (e) {
    throw new UserError(`${file} is not valid YAML: ${printable((e as Error).message.split('\n')[0]!, 160)}`, HINT);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${file} must be a mapping with services`, HINT);
  return doc as Record<string, unknown>;
}

/** The env_file paths a Compose file names (checked: inside the tree), so a client can send their contents along. */
export function composeEnvFiles(text: string, file = 'compose.yaml'): string[] {
  return guard(file, () => [...new Set(services(document(text, file)).flatMap(([, f]) => f.envFiles))]);
}

/**
 * The plan of a Compose file. `readFile` gives an env_file's text by its (checked, relative) path, or null when
 * there is none; the caller reads it without following links. `image` stands for the services' `build` (a push's image).
 */
export function parseCompose(text: string, readFile: (path: string) => string | null, o: { file?: string; builtImage?: string } = {}): ComposePlan {
  const file = o.file ?? 'compose.yaml';
  return guard(file, () => plan(document(text, file), readFile, o.builtImage));
}

function guard<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ComposeProblem) throw new UserError(`${file}: ${e.message}`, HINT);
    throw e;
  }
}

function services(doc: Record<string, unknown>): Array<[string, ServiceFacts]> {
  for (const key of Object.keys(doc)) {
    if (TOP_REFUSED[key]) fail(key, TOP_REFUSED[key]!);
    if (!TOP_KEYS.includes(key) && !key.startsWith('x-')) fail(key, `not supported (supported: ${TOP_KEYS.join(', ')}, x-*)`);
  }
  const s = doc.services;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || !Object.keys(s).length) return fail('services', 'must map service names to services');
  const names = Object.keys(s);
  if (names.length > MAX_SERVICES) fail('services', `has ${names.length} services; minicloud runs at most ${MAX_SERVICES} per app`);
  for (const n of names) if (!isProcessType(n)) fail(`services.${excerpt(n)}`, 'a service name here is lowercase letters, digits, - and _, starting with a letter, at most 30 (it becomes a process type)');
  return names.map((n) => [n, checkService(n, (s as Record<string, unknown>)[n])]);
}

/** Declared top-level volumes: `data:` or `data: {}` (minicloud's own); a driver, external or a host bind is refused. */
function declaredVolumes(v: unknown): Set<string> {
  if (v === undefined || v === null) return new Set();
  if (typeof v !== 'object' || Array.isArray(v)) return fail('volumes', 'must map volume names to {}');
  for (const [name, spec] of Object.entries(v)) {
    if (spec === null || (typeof spec === 'object' && !Array.isArray(spec) && Object.keys(spec).every((k) => k === 'name'))) continue;
    const key = typeof spec === 'object' && spec ? Object.keys(spec).find((k) => k !== 'name') : undefined;
    fail(`volumes.${name}${key ? `.${key}` : ''}`, 'not supported: minicloud keeps named volumes itself (on the server\'s disk, in the app\'s backups); drivers, driver_opts and external volumes are not');
  }
  return new Set(Object.keys(v));
}

function plan(doc: Record<string, unknown>, readFile: (path: string) => string | null, builtImage?: string): ComposePlan {
  const all = services(doc);
  const declared = declaredVolumes(doc.volumes);
  const names = new Set(all.map(([n]) => n));
  const addons: ComposePlan['addons'] = [];
  const runs: Array<[string, ServiceFacts]> = [];
  for (const [name, f] of all) {
    if (!f.addon) {
      runs.push([name, f]);
      continue;
    }
    const kind = f.image ? addonOfImage(f.image) : null;
    if (kind !== f.addon) fail(`services.${name}.x-minicloud.addon`, `${f.addon} does not stand for ${f.image ?? 'a build'}: an add-on replaces a ${f.addon} image`);
    addons.push({ service: name, kind: f.addon as ComposeAddonKind });
  }
  if (!runs.length) fail('services', 'has no service to run besides add-ons');
  if (new Set(addons.map((a) => a.kind)).size < addons.length) fail('services', 'maps two services to the same add-on kind: an app has one of each');
  const webName = routed(runs);
  const type = (n: string) => (n === webName ? 'web' : n);
  const { image, own } = images(runs, webName, builtImage);
  const env = environments(runs, readFile, addons);
  const volumes = volumesOf(runs, declared, own);
  const waitFor = dependencies(all, names, addons, type);
  const web = runs.find(([n]) => n === webName)![1];
  if (webName !== 'web' && names.has('web')) fail('services.web', `is not the routed service (${webName} is): the routed service runs as minicloud's web process, so rename one of them`);
  const probe = web.healthcheck && httpProbe(`services.${webName}.healthcheck`, web.healthcheck);
  if (probe?.port !== undefined && probe.port !== web.port) fail(`services.${webName}.healthcheck.test`, `probes port ${probe.port}, and the service serves ${web.port}`);
  const { port: _p, ...healthcheck } = probe ?? {};
  const checks = Object.fromEntries(runs.filter(([n, f]) => n !== webName && f.healthcheck).map(([n, f]) => [n, f.healthcheck!]));
  return {
    image, webService: webName, env, volumes, addons,
    services: Object.fromEntries(Object.entries(own).map(([n, s]) => [type(n), s])),
    processes: Object.fromEntries(runs.map(([n, f]) => [type(n), f.command ?? ''])),
    manifest: {
      ...(web.port && { expose: { proto: 'http', port: web.port } }), ...(probe && { healthcheck }),
      ...(Object.keys(waitFor).length && { waitFor }), ...(Object.keys(checks).length && { checks }),
    },
  };
}

/**
 * The release's image (the push's build when a service says `build: .`, else the routed service's image) and the
 * services that run an image of their own (a database beside the app), each with the volumes it mounts.
 */
function images(runs: Array<[string, ServiceFacts]>, webName: string, builtImage?: string): { image: string; own: Record<string, ServiceImage> } {
  for (const [name, f] of runs) if (f.build !== undefined && f.image !== undefined) fail(`services.${name}`, 'has both image and build: give one');
  const built = runs.find(([, f]) => f.build !== undefined);
  if (built) {
    if (!builtImage) fail(`services.${built[0]}.build`, 'needs the repository: builds come from `git push` (a Compose file given to apps:create uses images only)');
    for (const [name, f] of runs) if (f.build !== undefined && f.build !== '.') fail(`services.${name}.build`, `must be . (the repository's root, where its Dockerfile is), not ${f.build}`);
  }
  const main = built ? undefined : runs.find(([n]) => n === webName)![1].image!;
  const own: Record<string, ServiceImage> = {};
  for (const [name, f] of runs) {
    if (f.build !== undefined || f.image === main) continue;
    own[name] = { image: imageRef(`services.${name}.image`, f.image!), volumes: f.volumes.map((v) => v.path), stateful: f.volumes.length > 0 };
  }
  return { image: built ? builtImage! : imageRef(`services.${webName}.image`, main!), own };
}

function imageRef(key: string, ref: string): string {
  try {
    return validateImageRef(ref);
  } catch (e) {
    return fail(key, (e as UserError).message);
  }
}

/** The routed service: the one with `x-minicloud: { web: true }`, else the first with a port. */
function routed(runs: Array<[string, ServiceFacts]>): string {
  const marked = runs.filter(([, f]) => f.web);
  if (marked.length > 1) fail(`services.${marked[1]![0]}.x-minicloud.web`, `a second routed service (services.${marked[0]![0]} is one): minicloud routes one per app`);
  const web = marked[0] ?? runs.find(([, f]) => f.port !== undefined);
  if (!web) return fail('services', 'has no service with a port: give the one minicloud routes `ports: ["8000"]` (or `x-minicloud: { web: true }` and `expose`)');
  if (web[1].port === undefined) fail(`services.${web[0]}.ports`, 'is missing: the routed service needs the port it listens on');
  return web[0];
}

/** Every service's environment, env_files first: one set of config vars, a key two services set differently refused. */
function environments(runs: Array<[string, ServiceFacts]>, readFile: (path: string) => string | null, addons: ComposePlan['addons']): Record<string, string> {
  const env: Record<string, string> = {};
  const from: Record<string, string> = {};
  const owned = new Set(addons.flatMap((a) => ADDON_KEYS[a.kind]));
  for (const [name, f] of runs) {
    const mine: Record<string, [string, string]> = {};
    for (const [i, path] of f.envFiles.entries()) {
      const text = readFile(path);
      if (text === null) fail(`services.${name}.env_file${f.envFiles.length > 1 ? `[${i}]` : ''}`, `${path} is not in the repository (or is not a plain file)`);
      for (const [k, v] of Object.entries(dotenv(`${path}`, text!))) mine[k] = [v, `services.${name}.env_file ${path}`];
    }
    for (const [k, v] of Object.entries(f.env)) mine[k] = [v, `services.${name}.environment.${k}`];
    for (const [k, [v, key]] of Object.entries(mine)) {
      if (owned.has(k)) fail(key, `is set by minicloud's ${addons.find((a) => ADDON_KEYS[a.kind].includes(k))!.kind} add-on, which stands for services.${addons.find((a) => ADDON_KEYS[a.kind].includes(k))!.service}: remove it here`);
      if (k in env && env[k] !== v) fail(key, `differs from ${from[k]}: config vars are per app, so services must agree`);
      env[k] = v;
      from[k] = key;
    }
  }
  try {
    checkConfigChanges({}, env);
  } catch (e) {
    fail('environment', (e as Error).message);
  }
  return env;
}

/** The variables each add-on sets (src/addons): an app's own value for one of them would be overwritten. */
const ADDON_KEYS: Record<ComposeAddonKind, string[]> = {
  postgres: ['DATABASE_URL', 'POSTGRES_URL'],
  mariadb: ['DATABASE_URL', 'MARIADB_URL', 'MYSQL_URL'],
  redis: ['REDIS_URL', 'REDIS_KEY_PREFIX'],
  rabbitmq: ['RABBITMQ_URL'],
};

/** `[export ]KEY = value` split at its first `=` (no regular expression spanning both sides: linear by construction). */
function keyValue(line: string): [string, string] | null {
  const eq = line.indexOf('=');
  if (eq < 0) return null;
  let key = line.slice(0, eq).trimEnd();
  if (key.startsWith('export') && /\s/.test(key[6] ?? '')) key = key.slice(6).trimStart();
  return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key) ? [key, line.slice(eq + 1).trimStart()] : null;
}

/** An env_file: `KEY=value` lines, `#` comments, optional `export ` and quotes; values taken literally. */
function dotenv(path: string, text: string): Record<string, string> {
  if (text.length > ENV_FILE_LIMIT) fail(`env_file ${path}`, `is ${text.length} characters; minicloud reads at most ${ENV_FILE_LIMIT}`);
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const m = keyValue(line);
    if (!m) fail(`env_file ${path} line ${i + 1}`, 'must be KEY=value');
    let v = m![1];
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) v = v.slice(1, -1);
    out[m![0]] = q === "'" ? v : literal(`env_file ${path} line ${i + 1}`, v);
  }
  return out;
}

/** Named volumes as minicloud volumes: declared at the top, one path each (minicloud keeps a volume by its path). */
function volumesOf(runs: Array<[string, ServiceFacts]>, declared: Set<string>, own: Record<string, ServiceImage>): ComposePlan['volumes'] {
  const out = new Map<string, string>();
  // A service with an image of its own keeps its volumes to itself (a database's files are its alone).
  const owner = new Map<string, string>();
  for (const [name, f] of runs) for (const v of own[name] ? f.volumes : []) if (!owner.has(v.name)) owner.set(v.name, name);
  for (const [name, f] of runs) {
    for (const [i, v] of f.volumes.entries()) {
      const key = `services.${name}.volumes[${i}]`;
      if (!declared.has(v.name)) fail(key, `names the volume ${v.name}, which the file's top-level volumes: does not declare`);
      const by = owner.get(v.name);
      if (by !== undefined && by !== name) fail(key, `mounts ${v.name}, which services.${by} mounts: a service with an image of its own keeps its volumes to itself; give ${name} a volume of its own`);
      const path = out.get(v.name);
      if (path !== undefined && path !== v.path) fail(key, `mounts ${v.name} at ${v.path}, and another service at ${path}: mount a volume at one path in every service`);
      const other = [...out].find(([n, p]) => n !== v.name && p === v.path);
      if (other) fail(key, `mounts ${v.name} at ${v.path}, where ${other[0]} is mounted`);
      out.set(v.name, v.path);
    }
  }
  return [...out].map(([name, path]) => ({ name, path }));
}

/**
 * depends_on, checked: on an add-on, met before anything starts (add-ons are made first); `service_healthy`: the
 * service starts once the other passes its health check (web: minicloud's HTTP probe; others: their `healthcheck`
 * test, run by the engine); `service_started`: all start together. Returns process type → the types it waits for.
 */
function dependencies(all: Array<[string, ServiceFacts]>, names: Set<string>, addons: ComposePlan['addons'], type: (n: string) => string): Record<string, string[]> {
  const waitFor: Record<string, string[]> = {};
  for (const [name, f] of all) {
    if (f.addon) continue;
    for (const [dep, cond] of Object.entries(f.dependsOn)) {
      const key = `services.${name}.depends_on.${dep}`;
      if (!names.has(dep)) fail(key, `there is no service ${excerpt(dep)}`);
      if (dep === name) fail(key, 'a service cannot wait for itself');
      if (addons.some((a) => a.service === dep)) continue;
      if (cond === 'service_completed_successfully') fail(key, 'service_completed_successfully is not supported: run one-off set-up as a release command (a Procfile `release:` line) instead');
      if (cond !== 'service_healthy') continue;
      if (!all.find(([n]) => n === dep)![1].healthcheck) fail(key, `service_healthy: services.${dep} has no healthcheck`);
      (waitFor[type(name)] ??= []).push(type(dep));
    }
  }
  const cycle = findCycle(waitFor);
  if (cycle) fail(`services.${cycle[0]}.depends_on`, `${cycle.join(' waits for ')}: a cycle, so none of them could start`);
  return waitFor;
}
