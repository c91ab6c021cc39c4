// Local stand-ins for the official images the server installer runs (no registry is reachable in tests):
// built from Debian packages on minicloud/bookworm, tagged with the official names, cached by recipe.
import { spawn, spawnSync } from 'node:child_process';
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
  // The catalog's entries (catalog/*.json), under their pinned image names.
  radicale: 'tomsquest/docker-radicale:3.1.8.3',
  registry: 'registry:2.8.2',
};

/** What the installer's test loads: the official images its compose file names, and its app's base. */
const INSTALLER = ['node', 'redis', 'mariadb', 'postgres', 'rabbitmq', 'addon-clients'];

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

/** Builds one stand-in unless its image carries this recipe's hash; resolves when it is there. */
function ensureOne(host, name) {
  const tag = STAND_INS[name];
  const hash = recipeHash(host, name);
  const have = docker(host, ['image', 'inspect', '--format', '{{index .Config.Labels "minicloud.stand-in-hash"}}', tag]);
  if (have.status === 0 && have.stdout.trim() === hash) return Promise.resolve();
  const t0 = Date.now();
  say(`Building stand-in image ${tag}`);
  const ctx = context(name);
  const build = () => buildAsync(host, ['build', '--network', 'host', '--label', `minicloud.stand-in-hash=${hash}`, '-t', tag, '-f', `${DIR}${name}.Dockerfile`, ctx], `docker build ${tag}`);
  // An intermediate image removed under the build by something else on the engine (a prune) fails it with "No such
  // image": the engine is fine, so the build is tried once more.
  return build()
    .catch((e) => { if (!/No such image/.test(e.message)) throw e; say(`Building ${tag} again (an intermediate image went missing)`); return build(); })
    .finally(() => rmSync(ctx, { recursive: true, force: true }))
    .then(() => say(`Built ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`));
}

/** `docker <args>` without blocking the event loop, so several builds (mostly downloads and unpacking) overlap. */
export function buildAsync(host, args, what) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c) => { out = (out + c).slice(-20_000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed:\n${tail(out, 30)}`))));
  });
}

/**
 * Builds every stand-in that is missing or whose recipe changed (needs minicloud/bookworm: ensureBaseImages),
 * the others at the same time as `alongside` (e.g. an image built FROM node's). Resolves to their tags.
 */
export async function ensureStandIns(host, names = Object.keys(STAND_INS), alongside = async () => {}) {
  if (names.includes('node')) await ensureOne(host, 'node');
  await Promise.all([...names.filter((n) => n !== 'node').map((n) => ensureOne(host, n)), alongside()]);
  return names.map((n) => STAND_INS[n]);
}

/**
 * Everything the installer's test loads into its engine: the stand-ins, and minicloud's own image built from the
 * Dockerfile of the checkout in `src` under the tag the installer looks for (older builds' tags are dropped;
 * layers they share, npm ci's among them, stay cached). Resolves to the tags, the node stand-in left out.
 */
export async function ensureInstallerImages(host, src) {
  const tag = spawnSync('sh', [`${src}/scripts/install.sh`, '--print-image'], { encoding: 'utf8' }).stdout.trim();
  if (!tag.startsWith('minicloud/server:')) throw new Error(`install.sh --print-image gave ${JSON.stringify(tag)}`);
  const minicloudImage = async () => {
    if (docker(host, ['image', 'inspect', tag]).status === 0) return;
    const t0 = Date.now();
    say(`Building minicloud's image ${tag} from ${src}/Dockerfile`);
    await buildAsync(host, ['build', '--network', 'host', '-q', '-t', tag, src], `docker build ${tag}`);
    say(`Built ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const old of docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}', 'minicloud/server']).stdout.split('\n')) {
      if (old && old !== tag) docker(host, ['rmi', old]);
    }
  };
  // minicloud's image starts FROM the node stand-in, and is built while the others are.
  const images = await ensureStandIns(host, INSTALLER, minicloudImage);
  return [...images.filter((i) => i !== STAND_INS.node), tag];
}

// `node scripts/stand-in-images.mjs`: the installer test's images for this checkout.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const host = process.env.DOCKER_HOST ?? `unix://${ENGINE_DIR}/docker.sock`;
  const t0 = Date.now();
  console.log((await ensureInstallerImages(host, fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, ''))).join('\n'));
  say(`Installer test images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
