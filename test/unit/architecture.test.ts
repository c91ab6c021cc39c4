// The shape of the code: dependencies point one way, and each SDK is imported by one folder only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Which parts each part may import. server/ (the composition root, which main.ts starts) wires everything; nothing imports it.
const ALLOWED: Record<string, string[]> = {
  core: [],
  store: ['core'],
  log: ['core', 'store'],
  build: ['core'],
  runtime: ['core'],
  routes: ['core'],
  health: ['core'],
  // The process manager: the formation of running instances, their supervisor, the sleeper, cron runs.
  processes: ['core', 'store', 'runtime', 'health'],
  // The deploy script: it asks the formation (processes) for the release phase and the rollout.
  pipeline: ['core', 'store', 'log', 'build', 'processes'],
  queue: ['core'],
  intake: ['core', 'store', 'queue'],
  // What minicloud does for an app apart from HTTP (create, destroy, config, deploys waited for).
  apps: ['core', 'store', 'log', 'processes', 'queue', 'intake'],
  // The app catalog: entries checked against catalog/schema.json, installed as apps (add-ons attached, an image deploy queued).
  catalog: ['core', 'store', 'queue', 'intake', 'apps', 'addons'],
  api: ['core', 'store', 'log', 'processes', 'queue', 'intake', 'runtime', 'apps', 'addons', 'dashboard', 'backups', 'metrics', 'alerts', 'catalog'],
  cli: ['core'],
  proxy: ['core', 'routes'],
  // The router daemon's minicloud side: starts it, speaks its control protocol (proxy/daemon/protocol.ts).
  'router-daemon': ['core', 'routes', 'proxy'],
  // The shared servers' providers, and the service that attaches them to apps (its releases asked of the apps service by the composition root).
  addons: ['core', 'store'],
  dashboard: ['core'],
  backups: ['core', 'store'],
  metrics: ['core'],
  certs: ['core', 'store'],
  // The swarm registry minicloud runs itself (its TLS from certs' private CA).
  registry: ['core', 'certs'],
  // Notification channels and what is announced on them; the composition root tells it the facts.
  alerts: ['core', 'store'],
  server: ['core', 'store', 'log', 'build', 'runtime', 'routes', 'health', 'processes', 'pipeline', 'queue', 'intake', 'apps', 'api', 'proxy', 'router-daemon', 'addons', 'dashboard', 'backups', 'metrics', 'certs', 'alerts', 'catalog', 'registry'],
};

// ioredis has two owners on purpose: minicloud's own Redis (log) and the shared add-on server (addons).
const SDK_OWNER: Record<string, string[]> = {
  ioredis: ['log', 'addons'], bullmq: ['queue'], express: ['api'], 'node-git-server': ['intake'], 'http-proxy': ['proxy'], undici: ['proxy'],
  'better-sqlite3': ['store'], '@octokit/webhooks': ['intake'], yaml: ['build'], mysql2: ['addons'], 'mysql2/promise': ['addons'],
  pg: ['addons'], amqplib: ['addons'], 'prom-client': ['metrics'],
  // certs: ACME orders, and the swarm registry's private CA (the self-signed certificates: node:crypto, certs/der.ts).
  'acme-client': ['certs'], '@peculiar/x509': ['certs'],
  // The router daemon's OCSP stapling: requests made and answers read as ASN.1.
  '@peculiar/asn1-ocsp': ['proxy'], '@peculiar/asn1-schema': ['proxy'], '@peculiar/asn1-x509': ['proxy'],
  // dockerode: the runtime runs containers, the builder builds images; main hands both one client.
  dockerode: ['runtime', 'build'], 'tar-stream': ['build', 'backups'], '@balena/dockerignore': ['build'],
  // tar-stream in backups: the server archive (`minicloud backup`), read back as untrusted input.
  // esbuild: bundles the CLI that the server offers at /cli.tgz.
  esbuild: ['build'],
  nodemailer: ['alerts'],
  // The off-box backup target (S3-compatible).
  '@aws-sdk/client-s3': ['backups'], '@aws-sdk/lib-storage': ['backups'],
  // ajv: catalog entries checked against catalog/schema.json.
  'ajv/dist/2020.js': ['catalog'],
  // bcryptjs: htpasswd lines a catalog entry asks minicloud to make (a Docker registry's users), and minicloud's own swarm registry's.
  bcryptjs: ['catalog', 'registry'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The part a file belongs to: its folder under src/, or `proxy`; null for src/main.ts. */
function partOf(file: string): string | null {
  const rel = relative(ROOT, file).split('/');
  if (rel[0] === 'proxy') return 'proxy';
  return rel.length > 2 ? rel[1]! : null;
}

// Static imports, and the packages loaded on first use: `import('x')` and `createRequire(...)('x')` (an SDK loaded late
// keeps its owner).
const imports = (file: string) => {
  const text = readFileSync(file, 'utf8');
  return [
    ...[...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/(?:\bimport|\bcreateRequire\([^)]*\))\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
};

const sources = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'proxy'))];

it('has parts that import only the parts below them', () => {
  const wrong: string[] = [];
  for (const file of sources) {
    const part = partOf(file);
    if (part === null) continue;
    for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
      const target = partOf(resolve(dirname(file), spec));
      if (target !== null && target !== part && !(ALLOWED[part] ?? []).includes(target)) wrong.push(`${relative(ROOT, file)} → ${spec}`);
      if (target === null && part !== null) wrong.push(`${relative(ROOT, file)} → ${spec} (the composition root)`);
    }
  }
  expect(wrong).toEqual([]);
});

it('keeps no loose files at the top of src/ but main.ts', () => {
  expect(readdirSync(join(ROOT, 'src')).filter((n) => n.endsWith('.ts'))).toEqual(['main.ts']);
});

it('writes the operator\'s log through the logger (core/logger.ts), not console: only the CLI prints', () => {
  const printing = sources.filter((f) => !relative(ROOT, f).startsWith('src/cli/') && !relative(ROOT, f).startsWith('proxy/'))
    .filter((f) => /\bconsole\.(log|info|warn|error|debug)\(/.test(readFileSync(f, 'utf8')));
  expect(printing.map((f) => relative(ROOT, f))).toEqual([]);
});

it('imports each SDK from one folder only', () => {
  const wrong: string[] = [];
  for (const file of sources) {
    for (const spec of imports(file)) {
      const owners = SDK_OWNER[spec];
      if (owners && !owners.includes(partOf(file) ?? '')) wrong.push(`${relative(ROOT, file)} imports ${spec} (owned by ${owners.join(', ')})`);
    }
  }
  expect(wrong).toEqual([]);
});

it('keeps source files short', () => {
  const long = sources.map((f) => ({ f: relative(ROOT, f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 300);
  expect(long).toEqual([]);
});

/** The folders a file's folder imports from, over all sources: folder → folders. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources) {
    const from = relative(ROOT, dirname(file));
    for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
      const to = relative(ROOT, dirname(resolve(dirname(file), spec)));
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** Each cycle among folders, once, as the path that closes it (`a → b → a`). */
function folderCycles(graph: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      // Told from its smallest folder on, so the same cycle reads the same whichever folder the walk met first.
      const ring = path.slice(at);
      const start = ring.indexOf([...ring].sort()[0]!);
      const turned = [...ring.slice(start), ...ring.slice(0, start)];
      return void cycles.push([...turned, turned[0]].join(' → '));
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

// madge finds cycles among files; folders can form one with no file cycle (proxy/index.ts → fast/, fast/ → proxy/forward.ts was one).
it('has no cycle among folders', () => {
  expect(folderCycles(folderGraph())).toEqual([]);
});
