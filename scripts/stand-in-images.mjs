// Local stand-ins for the official images the server installer runs (no registry is reachable in tests):
// built from Debian packages on minicloud/bookworm, tagged with the official names, cached by recipe.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_DIR } from './docker-engine.mjs';

const DIR = fileURLToPath(new URL('./stand-in-images/', import.meta.url));

/** Recipe → the tag the installer (or the installer's test app) uses. */
export const STAND_INS = {
  node: 'node:20-bookworm-slim',
  redis: 'redis:7-bookworm',
  mariadb: 'mariadb:10.11',
  postgres: 'postgres:15-bookworm',
  rabbitmq: 'rabbitmq:3-management',
  'addon-clients': 'minicloud/addon-clients',
};

const docker = (host, args, opts = {}) =>
  spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' }, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
const tail = (text, n) => text.trim().split('\n').slice(-n).join('\n');
const say = (line) => console.log(`-----> ${line}`);

/** The recipe's files, the base it starts FROM, and for node the host's Node binary it copies. */
function recipeHash(host, name) {
  const h = createHash('sha256');
  for (const f of readdirSync(DIR).filter((f) => f.startsWith(`${name}.`)).sort()) h.update(f).update(readFileSync(`${DIR}${f}`));
  h.update(docker(host, ['image', 'inspect', '--format', '{{.Id}}', 'minicloud/bookworm']).stdout.trim());
  if (name === 'node') h.update(process.version);
  return h.digest('hex').slice(0, 16);
}

function context(name) {
  const ctx = `${ENGINE_DIR}/ctx-standin-${name}`;
  rmSync(ctx, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  for (const f of readdirSync(DIR).filter((f) => f.startsWith(`${name}.`) && !f.endsWith('.Dockerfile'))) cpSync(`${DIR}${f}`, `${ctx}/${f}`);
  if (name === 'node') {
    cpSync(process.execPath, `${ctx}/node`);
    cpSync('/usr/lib/node_modules/npm', `${ctx}/npm`, { recursive: true });
    cpSync('/usr/include/node', `${ctx}/include`, { recursive: true });
    if (existsSync('/etc/ssl/certs/ca-certificates.crt')) cpSync('/etc/ssl/certs/ca-certificates.crt', `${ctx}/host-ca.crt`);
    else writeFileSync(`${ctx}/host-ca.crt`, '');
  }
  return ctx;
}

/** Builds every stand-in that is missing or whose recipe changed (needs minicloud/bookworm: ensureBaseImages). */
export function ensureStandIns(host, names = Object.keys(STAND_INS)) {
  for (const name of names) {
    const tag = STAND_INS[name];
    const hash = recipeHash(host, name);
    const have = docker(host, ['image', 'inspect', '--format', '{{index .Config.Labels "minicloud.stand-in-hash"}}', tag]);
    if (have.status === 0 && have.stdout.trim() === hash) continue;
    const t0 = Date.now();
    say(`Building stand-in image ${tag}`);
    const ctx = context(name);
    const r = docker(host, ['build', '--network', 'host', '--label', `minicloud.stand-in-hash=${hash}`, '-t', tag, '-f', `${DIR}${name}.Dockerfile`, ctx]);
    rmSync(ctx, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`docker build ${tag} failed:\n${tail(`${r.stdout}${r.stderr}`, 30)}`);
    say(`Built ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return names.map((n) => STAND_INS[n]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const host = process.env.DOCKER_HOST ?? `unix://${ENGINE_DIR}/docker.sock`;
  console.log(ensureStandIns(host, process.argv.slice(2).length ? process.argv.slice(2) : undefined).join('\n'));
}
