// One Compose service, checked key by key: what minicloud runs as given, and what it refuses (naming the key, saying why).
import { posix } from 'node:path';
import { excerpt, type ContainerHealthcheck, type Manifest } from '../core/index.ts';

/** A refusal naming the key as the file has it: `services.web.privileged: not supported: ...`. */
export class ComposeProblem extends Error {
  constructor(readonly key: string, readonly what: string) {
    super(`${key}: ${what}`);
  }
}

export const fail = (key: string, what: string): never => {
  throw new ComposeProblem(key, what);
};

/** Keys that would give a service the host, or more of it than an app gets: refused, each with why. */
const REFUSED: Record<string, string> = {
  privileged: 'not supported: a privileged container is root on the host',
  network_mode: 'not supported: every service runs on the app\'s own network (host networking would reach the host\'s and other apps\' ports)',
  networks: 'not supported: every service runs on the app\'s own network, where the others reach it by its name',
  devices: 'not supported: host devices stay the host\'s',
  cap_add: 'not supported: app containers run with no capabilities',
  security_opt: 'not supported: app containers keep minicloud\'s security options (no-new-privileges)',
  pid: 'not supported: a service sees its own processes only',
  ipc: 'not supported: a service shares no memory with the host or other containers',
  userns_mode: 'not supported: the host\'s user namespace is not given to apps',
  cgroup_parent: 'not supported: minicloud places and limits app containers itself',
  sysctls: 'not supported: kernel settings are the host\'s',
  volumes_from: 'not supported: name a volume and mount it in both services instead',
  extra_hosts: 'not supported: services find each other by name on the app\'s network',
  container_name: 'not supported: minicloud names containers itself (the service\'s name is how the others reach it)',
};

/** Keys minicloud reads; `restart` and `ports`' host side are accepted and left to minicloud (its supervisor restarts, its router routes). */
export const SERVICE_KEYS = ['image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'volumes', 'depends_on', 'healthcheck', 'ports', 'expose', 'restart', 'x-minicloud'];

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceFacts {
  image?: string;
  build?: string;
  /** The shell line it runs; undefined: the image's own command. */
  command?: string;
  env: Record<string, string>;
  envFiles: string[];
  volumes: Array<{ name: string; path: string }>;
  dependsOn: Record<string, Condition>;
  port?: number;
  healthcheck?: ContainerHealthcheck;
  addon?: string;
  web?: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function checkService(name: string, v: unknown): ServiceFacts {
  const at = `services.${name}`;
  if (!isMap(v)) return fail(at, `must be a mapping of keys (got ${excerpt(v)})`);
  for (const key of Object.keys(v)) {
    if (REFUSED[key]) fail(`${at}.${key}`, REFUSED[key]!);
    if (!SERVICE_KEYS.includes(key)) fail(`${at}.${key}`, `not supported by minicloud's Compose subset (supported: ${SERVICE_KEYS.join(', ')}); see the Compose section of the README`);
  }
  const facts: ServiceFacts = { env: {}, envFiles: [], volumes: [], dependsOn: {} };
  if (v['x-minicloud'] !== undefined) Object.assign(facts, own(`${at}.x-minicloud`, v['x-minicloud']));
  if (facts.addon) {
    // minicloud's shared server runs it: its own settings (password, data volume, health check) are the image's, unused.
    if (typeof v.image === 'string') facts.image = v.image;
    return facts;
  }
  if (v.image !== undefined) facts.image = typeof v.image === 'string' && v.image ? v.image : fail(`${at}.image`, `must be an image reference (got ${excerpt(v.image)})`);
  if (v.build !== undefined) facts.build = build(`${at}.build`, v.build);
  if (facts.image === undefined && facts.build === undefined) fail(at, 'needs an image or a build');
  const command = [...words(`${at}.entrypoint`, v.entrypoint), ...words(`${at}.command`, v.command)];
  if (v.entrypoint === undefined && typeof v.command === 'string') facts.command = v.command;
  else if (command.length) facts.command = command.map(shellQuote).join(' ');
  if (v.environment !== undefined) facts.env = environment(`${at}.environment`, v.environment);
  if (v.env_file !== undefined) facts.envFiles = (Array.isArray(v.env_file) ? v.env_file : [v.env_file]).map((f, i) => envFilePath(`${at}.env_file${Array.isArray(v.env_file) ? `[${i}]` : ''}`, f));
  if (v.volumes !== undefined) facts.volumes = volumes(`${at}.volumes`, v.volumes);
  if (v.depends_on !== undefined) facts.dependsOn = dependsOn(`${at}.depends_on`, v.depends_on);
  facts.port = port(at, v.ports, v.expose);
  if (v.healthcheck !== undefined) facts.healthcheck = healthcheck(`${at}.healthcheck`, v.healthcheck);
  if (v.restart !== undefined && !['no', 'always', 'on-failure', 'unless-stopped'].includes(String(v.restart))) fail(`${at}.restart`, `must be no, always, on-failure or unless-stopped (got ${excerpt(v.restart)})`);
  return facts;
}

/** `build: .` or `{ context: ., dockerfile: Dockerfile }`: a directory of the pushed tree, never outside it. */
function build(key: string, v: unknown): string {
  const o = isMap(v) ? v : { context: v };
  const extra = Object.keys(o).find((k) => k !== 'context' && k !== 'dockerfile');
  if (extra) fail(`${key}.${extra}`, 'not supported (supported: context, dockerfile)');
  if (o.dockerfile !== undefined && o.dockerfile !== 'Dockerfile') fail(`${key}.dockerfile`, `must be Dockerfile, at the root of the context (got ${excerpt(o.dockerfile)})`);
  return treePath(isMap(v) ? `${key}.context` : key, o.context ?? '.');
}

/** A relative path inside the pushed tree: no absolute path, no `..`, no home directory. */
function treePath(key: string, v: unknown): string {
  if (typeof v !== 'string' || !v || v.length > 200) return fail(key, `must be a relative path inside the repository (got ${excerpt(v)})`);
  const norm = posix.normalize(v);
  if (v.startsWith('/') || v.startsWith('~') || norm === '..' || norm.startsWith('../') || v.includes('\0')) fail(key, `${excerpt(v)} is outside the repository: minicloud reads files of the app's own tree only`);
  return norm.replace(/\/$/, '');
}

function envFilePath(key: string, v: unknown): string {
  if (isMap(v)) {
    if (v.required === false) fail(`${key}.required`, 'must be true: an env_file minicloud cannot read is an error');
    return treePath(`${key}.path`, v.path);
  }
  return treePath(key, v);
}

/** `command: npm start` (a shell line) or `["npm", "start"]` (words); entrypoint the same. */
function words(key: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.trim() ? [v] : fail(key, 'must not be empty');
  if (Array.isArray(v) && v.length && v.every((w) => typeof w === 'string')) return v as string[];
  return fail(key, `must be a command line or a list of words (got ${excerpt(v)})`);
}

export function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}

/** A value as the file gives it: `$$` is a literal `$`; `${VAR}` interpolation from the shell is not done, so refused. */
export function literal(key: string, v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return fail(key, `must be a string, number or true/false (got ${excerpt(v)})`);
  const s = String(v);
  if (/\$(?!\$)[{A-Za-z_]/.test(s.replaceAll('$$', ''))) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message names Compose's syntax
    fail(key, 'uses ${VAR} interpolation, which minicloud does not do (there is no shell environment to take it from): write the value, or set it later with `minicloud config:set`');
  }
  return s.replaceAll('$$', '$');
}

function environment(key: string, v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs: Array<[string, unknown]> = Array.isArray(v)
    ? v.map((e) => {
      if (typeof e !== 'string') return fail(key, `entries must be KEY=value (got ${excerpt(e)})`);
      const eq = e.indexOf('=');
      return eq < 0 ? [e, null] : [e.slice(0, eq), e.slice(eq + 1)];
    })
    : isMap(v) ? Object.entries(v) : fail(key, 'must be a mapping or a list of KEY=value');
  for (const [k, value] of pairs) {
    if (!ENV_KEY.test(k)) fail(`${key}.${k.slice(0, 40)}`, 'is not a variable name (letters, digits, _)');
    if (value === null || value === undefined) fail(`${key}.${k}`, 'has no value: minicloud does not pass the shell\'s environment through; write the value');
    out[k] = literal(`${key}.${k}`, value);
  }
  return out;
}

/** Named volumes only: `data:/path[:ro]` or `{ type: volume, source, target }`. A host path or docker.sock is refused. */
function volumes(key: string, v: unknown): Array<{ name: string; path: string }> {
  if (!Array.isArray(v)) return fail(key, 'must be a list');
  return v.map((e, i) => {
    const k = `${key}[${i}]`;
    let source: unknown;
    let target: unknown;
    if (typeof e === 'string') {
      const parts = e.split(':');
      if (parts.length > 3 || (parts[2] !== undefined && !['ro', 'rw'].includes(parts[2]))) fail(k, `must be name:/path (got ${excerpt(e)})`);
      [source, target] = parts.length === 1 ? [undefined, parts[0]] : parts;
    } else if (isMap(e)) {
      const extra = Object.keys(e).find((x) => !['type', 'source', 'target', 'read_only'].includes(x));
      if (extra) fail(`${k}.${extra}`, 'not supported (supported: type, source, target)');
      if (e.type !== 'volume') fail(`${k}.type`, `${excerpt(e.type)} is not supported: only named volumes (type: volume); host paths and tmpfs are not`);
      [source, target] = [e.source, e.target];
    } else return fail(k, 'must be name:/path');
    const s = String(source ?? '');
    const t = String(target ?? '');
    if (s.includes('docker.sock') || t.includes('docker.sock')) fail(k, 'mounts the Docker socket, which is root on the host: refused');
    if (source === undefined) fail(k, 'is an anonymous volume: give it a name (data:/path) so minicloud keeps it and backs it up');
    if (/^[./~]/.test(s)) fail(k, `mounts the host path ${excerpt(s)}: host paths are refused (they reach outside the app); use a named volume (data:${t})`);
    if (!/^[a-z0-9][a-z0-9_.-]{0,30}$/.test(s)) fail(k, `${excerpt(s)} is not a volume name (lowercase letters, digits, . _ -)`);
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(t) || t.split('/').some((p) => p === '..' || p === '.') || t.length > 200) fail(k, `${excerpt(t)} must be an absolute path in the container`);
    return { name: s, path: t };
  });
}

function dependsOn(key: string, v: unknown): Record<string, Condition> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((s) => [typeof s === 'string' ? s : fail(key, 'must list service names'), 'service_started' as const]));
  if (!isMap(v)) return fail(key, 'must be a list of services or a mapping of service → { condition }');
  const out: Record<string, Condition> = {};
  for (const [s, c] of Object.entries(v)) {
    const cond = isMap(c) ? c.condition ?? 'service_started' : fail(`${key}.${s}`, 'must be { condition: ... }');
    if (cond !== 'service_started' && cond !== 'service_healthy' && cond !== 'service_completed_successfully') {
      fail(`${key}.${s}.condition`, `must be service_started, service_healthy or service_completed_successfully (got ${excerpt(cond)})`);
    }
    out[s] = cond as Condition;
  }
  return out;
}

/** The port it serves on inside its container: the container side of `ports` (the host side is the router's), or `expose`. */
function port(at: string, ports: unknown, expose: unknown): number | undefined {
  const found: number[] = [];
  for (const [key, list] of [['ports', ports], ['expose', expose]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(`${at}.${key}`, 'must be a list');
    (list as unknown[]).forEach((e, i) => {
      const raw = isMap(e) ? e.target : e;
      const text = String(raw ?? '');
      const m = /^(?:(?:[\d.]+:)?\d{1,5}:)?(\d{1,5})(?:\/tcp)?$/.exec(text);
      const n = m ? Number(m[1]) : Number.NaN;
      if (!(n >= 1 && n <= 65535)) fail(`${at}.${key}[${i}]`, `must be a port, or host:container ports (got ${excerpt(raw)})`);
      found.push(n);
    });
  }
  const distinct = [...new Set(found)];
  if (distinct.length > 1) fail(`${at}.ports`, `names ports ${distinct.join(' and ')}: minicloud routes one HTTP port per service`);
  return distinct[0];
}

/** `10s`, `1m30s`, `500ms` → whole seconds (rounded up), within minicloud's bounds. */
function seconds(key: string, v: unknown, max: number): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v);
  const parts = [...text.matchAll(/(\d{1,6})(ms|us|ns|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) fail(key, `must be a duration like 10s or 1m30s (got ${excerpt(v)})`);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  const s = Math.ceil(parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0));
  return Math.min(Math.max(s, 1), max);
}

/** `healthcheck:` as the engine would run it: the test in Docker's form and its timings; `disable` or `NONE`: none. */
function healthcheck(key: string, v: unknown): ContainerHealthcheck | undefined {
  if (!isMap(v)) return fail(key, 'must be a mapping (test, interval, timeout, retries, start_period)');
  const extra = Object.keys(v).find((k) => !['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'].includes(k));
  if (extra) fail(`${key}.${extra}`, 'not supported (supported: test, interval, timeout, retries, start_period)');
  if (v.disable === true || (Array.isArray(v.test) && v.test[0] === 'NONE')) return undefined;
  let test: string[];
  if (typeof v.test === 'string' && v.test.trim()) test = ['CMD-SHELL', v.test];
  else if (Array.isArray(v.test) && v.test.length >= 2 && v.test.every((w) => typeof w === 'string') && /^CMD(-SHELL)?$/.test(String(v.test[0]))) test = v.test as string[];
  else return fail(`${key}.test`, `must be a command line, or a list starting with CMD or CMD-SHELL (got ${excerpt(v.test)})`);
  if (test.join(' ').length > 2000) fail(`${key}.test`, 'is longer than 2000 characters');
  const retries = v.retries === undefined ? undefined : Number(v.retries);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 1 && retries <= 20)) fail(`${key}.retries`, 'must be a whole number from 1 to 20');
  const hc = {
    test, intervalSeconds: seconds(`${key}.interval`, v.interval, 60), timeoutSeconds: seconds(`${key}.timeout`, v.timeout, 60),
    retries, startPeriodSeconds: seconds(`${key}.start_period`, v.start_period, 600),
  };
  return Object.fromEntries(Object.entries(hc).filter(([, x]) => x !== undefined)) as unknown as ContainerHealthcheck;
}

/**
 * The routed service's health check as minicloud's own HTTP probe: the test must be one (curl or wget of
 * `http://localhost[:port]/path`), its timings become the probe's. Another kind of test is refused, not ignored.
 */
export function httpProbe(key: string, hc: ContainerHealthcheck): NonNullable<Manifest['healthcheck']> & { port?: number } {
  const m = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1)(?::(\d{1,5}))?(\/[^\s'"|;&]{0,199})?/.exec(hc.test.slice(1).join(' '));
  if (!m) return fail(`${key}.test`, 'must probe http://localhost[:port]/path (curl -f or wget): minicloud checks the routed service over HTTP itself');
  const probe = {
    path: m[2] ?? '/', port: m[1] ? Number(m[1]) : undefined,
    intervalSeconds: hc.intervalSeconds, probeTimeoutSeconds: hc.timeoutSeconds, failures: hc.retries, startTimeoutSeconds: hc.startPeriodSeconds,
  };
  return Object.fromEntries(Object.entries(probe).filter(([, x]) => x !== undefined));
}

/** `x-minicloud: { addon: postgres }` (run it on minicloud's shared server) or `{ web: true }` (the routed service). */
function own(key: string, v: unknown): Pick<ServiceFacts, 'addon' | 'web'> {
  if (!isMap(v)) return fail(key, 'must be { addon: postgres | mariadb | redis | rabbitmq } or { web: true }');
  const extra = Object.keys(v).find((k) => k !== 'addon' && k !== 'web');
  if (extra) fail(`${key}.${extra}`, 'not a known key (known: addon, web)');
  if (v.addon !== undefined && !['postgres', 'mariadb', 'redis', 'rabbitmq'].includes(String(v.addon))) fail(`${key}.addon`, `must be postgres, mariadb, redis or rabbitmq (got ${excerpt(v.addon)})`);
  if (v.web !== undefined && typeof v.web !== 'boolean') fail(`${key}.web`, 'must be true or false');
  return { ...(v.addon !== undefined && { addon: String(v.addon) }), ...(v.web === true && { web: true }) };
}

/** A cycle of waits (a → b → a), as the path around it; null when there is none. */
export function findCycle(waitFor: Record<string, string[]>): string[] | null {
  const done = new Set<string>();
  const visit = (n: string, path: string[]): string[] | null => {
    if (path.includes(n)) return [...path.slice(path.indexOf(n)), n];
    if (done.has(n)) return null;
    for (const d of waitFor[n] ?? []) {
      const c = visit(d, [...path, n]);
      if (c) return c;
    }
    done.add(n);
    return null;
  };
  for (const n of Object.keys(waitFor)) {
    const c = visit(n, []);
    if (c) return c;
  }
  return null;
}
