// The Docker engine and local base images the tests use: reuses a running engine, else starts a private dockerd.
// No image registry is reachable here, so the base images the buildpacks name are built locally from debootstrap.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const ENGINE_DIR = '/var/tmp/minicloud-docker';
export const PRIVATE_HOST = `unix://${ENGINE_DIR}/docker.sock`;
const DEFAULT_HOST = 'unix:///var/run/docker.sock';
const BASE_DIR = fileURLToPath(new URL('./base-images/', import.meta.url));

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = () => process.getuid?.() === 0;
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (line) => console.log(`-----> ${line}`);

/** GET /_ping on a Docker host (unix:// or tcp://), with its own timeout: true when the engine answers OK. */
export function ping(host, timeoutMs = 2000) {
  return new Promise((resolve) => {
    let opts;
    if (host.startsWith('unix://')) opts = { socketPath: host.slice('unix://'.length), path: '/_ping' };
    else if (/^(tcp|http):\/\//.test(host)) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      opts = { host: u.hostname, port: u.port || 2375, path: '/_ping' };
    } else {
      // ssh:// and the like: let the docker CLI decide
      const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore', timeout: timeoutMs * 5 });
      resolve(r.status === 0);
      return;
    }
    const req = request({ ...opts, method: 'GET', timeout: timeoutMs }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitPing(host, ms, gone = () => false) {
  for (const end = Date.now() + ms; Date.now() < end && !gone();) {
    if (await ping(host)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const pidAlive = (pidfile) => {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    if (!pid) return false;
    // A stale pid file whose number now belongs to another program does not count.
    if (existsSync(`/proc/${pid}/comm`)) return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd';
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM'; // alive, but another user's (root's)
  }
};

const tail = (text, n) => text.trim().split('\n').slice(-n).join('\n');
const logTail = () => (existsSync(`${ENGINE_DIR}/dockerd.log`) ? tail(readFileSync(`${ENGINE_DIR}/dockerd.log`, 'utf8'), 15) : '(no log)');

function aptInstall(pkgs) {
  const t0 = Date.now();
  say(`Installing ${pkgs.join(', ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  execFileSync('apt-get', [...lock, 'update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  say(`Installed ${pkgs.join(', ')} in ${secs(t0)}`);
}

// Where the private engine's bridges get their subnets: /24s of 172.16.0.0/12 (4,096 networks). Docker's
// default gives fifteen /16s there and then /20s of 192.168.0.0/16; the suite makes more than fifteen networks
// (each Docker test its own, and a build network beside each), and the later ones, outside the NAT rule below,
// had no DNS and no way out (npm install in a build: EAI_AGAIN).
const CONTAINER_NETS = '172.16.0.0/12';
const POOL = `base=${CONTAINER_NETS},size=24`;
// Networks an engine made before it had POOL keep their 192.168 subnets in its data root: NAT them too.
const OLD_POOL = '192.168.0.0/16';

/**
 * The private engine runs with --iptables=false (it leaves the host's firewall alone), so nothing NATs its
 * bridges: add the one MASQUERADE rule that lets builds (npm install) and apps reach out. Idempotent.
 */
function ensureNat() {
  if (!isRoot() || !has('iptables')) return;
  for (const nets of [CONTAINER_NETS, OLD_POOL]) {
    const rule = ['POSTROUTING', '-s', nets, '!', '-d', nets, '-j', 'MASQUERADE'];
    if (spawnSync('iptables', ['-t', 'nat', '-C', ...rule], { stdio: 'ignore' }).status === 0) continue;
    const r = spawnSync('iptables', ['-t', 'nat', '-A', ...rule], { encoding: 'utf8' });
    if (r.status === 0) say(`Containers reach out through NAT (iptables -t nat -A ${rule.join(' ')})`);
    else console.error(` !     Could not add the NAT rule for containers (${r.stderr.trim()}): builds that download will fail`);
  }
}

/**
 * Returns a DOCKER_HOST that answers: the caller's DOCKER_HOST, the default socket, or the private engine under
 * ENGINE_DIR (started detached when needed; it keeps running after the tests, like the other shared services).
 * Throws an Error saying what is missing and how to get it when no engine can be had.
 */
export async function ensureDocker() {
  const t0 = Date.now();
  const given = process.env.DOCKER_HOST;
  if (given) {
    if (await ping(given, 5000)) {
      say(`Docker engine at ${given} (DOCKER_HOST)`);
      if (given === PRIVATE_HOST) ensureNat();
      return given;
    }
    if (given !== PRIVATE_HOST) {
      throw new Error(`DOCKER_HOST=${given} does not answer GET /_ping. Start that engine, or unset DOCKER_HOST to let npm test start its own.`);
    }
  }
  if (await ping(PRIVATE_HOST)) { say(`Docker engine at ${PRIVATE_HOST} (already running)`); ensureNat(); return PRIVATE_HOST; }
  if (await ping(DEFAULT_HOST)) { say(`Docker engine at ${DEFAULT_HOST}`); return DEFAULT_HOST; }

  const pidfile = `${ENGINE_DIR}/docker.pid`;
  if (pidAlive(pidfile) && !isRoot()) {
    throw new Error(`A private Docker engine runs (${ENGINE_DIR}), but this user cannot use its socket. `
      + 'Run npm test as root (as the engine was started), or point DOCKER_HOST at an engine you can use.');
  }
  if (pidAlive(pidfile)) {
    // Ours is starting (or stuck): never start a second dockerd, only one engine can own the docker0 bridge.
    say('Waiting for the private Docker engine that is already starting');
    if (await waitPing(PRIVATE_HOST, 60_000)) { ensureNat(); return PRIVATE_HOST; }
    throw new Error(`The private dockerd (pid file ${pidfile}) runs but does not answer on ${PRIVATE_HOST}. Its log:\n${logTail()}`);
  }
  if (!has('dockerd')) {
    if (!isRoot() || !has('apt-get')) {
      throw new Error('No Docker engine answers (DOCKER_HOST unset, nothing on /var/run/docker.sock) and dockerd is not installed. '
        + 'Install Docker (Debian/Ubuntu: sudo apt-get install docker.io; or Docker Desktop) and start it, or point DOCKER_HOST at an engine.');
    }
    aptInstall(['docker.io']);
  }
  if (!isRoot()) {
    throw new Error('No Docker engine answers, and starting a private dockerd needs root. Start Docker (sudo systemctl start docker, '
      + 'and add yourself to the docker group) or point DOCKER_HOST at an engine, then run npm test again.');
  }
  mkdirSync(ENGINE_DIR, { recursive: true });
  rmSync(`${ENGINE_DIR}/docker.sock`, { force: true });
  const log = openSync(`${ENGINE_DIR}/dockerd.log`, 'a');
  const child = spawn('dockerd', [
    '--host', PRIVATE_HOST,
    '--data-root', `${ENGINE_DIR}/data`,
    '--exec-root', `${ENGINE_DIR}/exec`,
    '--pidfile', pidfile,
    '--iptables=false',
    '--default-address-pool', POOL,
    '--storage-driver', 'overlay2',
  ], { detached: true, stdio: ['ignore', log, log] });
  let exited = null;
  child.on('exit', (code, signal) => { exited = signal ?? `exit code ${code}`; });
  child.unref();
  say(`Starting a private Docker engine (dockerd pid ${child.pid}, log ${ENGINE_DIR}/dockerd.log)`);
  if (await waitPing(PRIVATE_HOST, 60_000, () => exited !== null)) {
    say(`Docker engine up in ${secs(t0)}`);
    ensureNat();
    return PRIVATE_HOST;
  }
  throw new Error(`dockerd ${exited ? `stopped (${exited})` : 'did not answer within 60 s'} on ${PRIVATE_HOST}. Its log:\n${logTail()}`);
}

// ---- base images ------------------------------------------------------------------------------------------

/** The base images, in build order (each FROM an earlier one or minicloud/bookworm). */
export const BASE_IMAGES = ['bookworm', 'node', 'python', 'ruby', 'golang', 'busybox'];

/** Build-arg overrides pointing the buildpacks at the local images (MINICLOUD_<ARG>_<PACK>, see buildpacks.ts). */
export const BASE_IMAGE_ENV = {
  MINICLOUD_BASE_IMAGE_NODE: 'minicloud/node',
  MINICLOUD_BASE_IMAGE_PYTHON: 'minicloud/python',
  MINICLOUD_BASE_IMAGE_RUBY: 'minicloud/ruby',
  MINICLOUD_BUILD_IMAGE_GO: 'minicloud/golang',
  MINICLOUD_BASE_IMAGE_GO: 'minicloud/busybox',
  MINICLOUD_BASE_IMAGE_STATIC: 'minicloud/busybox',
};

function debianMirror() {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(sources|list)$/.test(f)).map((f) => `${dir}/${f}`) : [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const m = text.match(/^URIs:\s*(\S*\/debian)\/?\s*$/m) ?? text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S*\/debian)\/?\s+bookworm\b/m);
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

const NPM_FOR_IMAGE = 'npm@10';
const docker = (host, args, opts = {}) => spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8', ...opts });

/** The content hash an image is labelled with: its Dockerfile and every file beside it with its name as prefix. */
function contentHash(name) {
  const h = createHash('sha256');
  for (const f of readdirSync(BASE_DIR).filter((f) => f === `${name}.Dockerfile` || f.startsWith(`${name}.`)).sort()) {
    h.update(f).update(readFileSync(`${BASE_DIR}${f}`));
  }
  // Every other image starts FROM minicloud/bookworm: a new bookworm rebuilds them too.
  h.update(name === 'bookworm' ? `${debianMirror()} ${buildBookworm.toString()}` : contentHash('bookworm'));
  if (name === 'node') h.update(NPM_FOR_IMAGE);
  return h.digest('hex').slice(0, 16);
}

function imageHash(host, tag) {
  const r = docker(host, ['image', 'inspect', '--format', '{{index .Config.Labels "minicloud.base-hash"}}', tag]);
  return r.status === 0 ? r.stdout.trim() : null;
}

function buildBookworm(host, hash) {
  if (!has('debootstrap')) {
    if (!isRoot() || !has('apt-get')) throw new Error('Building the base image needs debootstrap: sudo apt-get install debootstrap');
    aptInstall(['debootstrap']);
  }
  const dir = `${ENGINE_DIR}/rootfs-bookworm`;
  rmSync(dir, { recursive: true, force: true });
  const mirror = debianMirror();
  say(`debootstrap --variant=minbase bookworm (${mirror})`);
  const d = spawnSync('debootstrap', ['--variant=minbase', 'bookworm', dir, mirror], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (d.status !== 0) throw new Error(`debootstrap failed:\n${tail(`${d.stdout}${d.stderr}`, 20)}`);
  // Like the official slim images: the same mirror, no recommends, no downloaded .debs or docs kept, so the
  // language layers stay small.
  writeFileSync(`${dir}/etc/apt/sources.list`, `deb ${mirror} bookworm main\n`);
  writeFileSync(`${dir}/etc/apt/apt.conf.d/90minicloud`, [
    'APT::Install-Recommends "false";', 'APT::Install-Suggests "false";',
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";', '',
  ].join('\n'));
  writeFileSync(`${dir}/etc/dpkg/dpkg.cfg.d/90minicloud`, [
    'path-exclude /usr/share/doc/*', 'path-include /usr/share/doc/*/copyright', 'path-exclude /usr/share/man/*',
    'path-exclude /usr/share/info/*', 'path-exclude /usr/share/locale/*', 'path-include /usr/share/locale/locale.alias', '',
  ].join('\n'));
  execFileSync('sh', ['-c', `cd ${dir} && rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* usr/share/man/* usr/share/info/* \
    && find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete && find usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +`]);
  const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const imp = spawn('docker', ['import', '--change', `LABEL minicloud.base-hash=${hash}`, '--change', 'CMD ["/bin/bash"]', '-', 'minicloud/bookworm'], {
    env: { ...process.env, DOCKER_HOST: host }, stdio: [tar.stdout, 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    imp.stderr.on('data', (c) => { err += c; });
    imp.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve();
      else reject(new Error(`docker import failed: ${err.trim()}`));
    });
  });
}

/** npm 10 as a tarball for minicloud/node, fetched by the host's npm (the registry is reachable, image registries are not). */
function packNpm(ctx) {
  const r = spawnSync('npm', ['pack', NPM_FOR_IMAGE, '--silent', '--pack-destination', ctx], { encoding: 'utf8', timeout: 120_000 });
  const file = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !file) throw new Error(`npm pack ${NPM_FOR_IMAGE} failed (the node base image needs npm from the registry): ${r.stderr?.trim()}`);
  execFileSync('mv', [`${ctx}/${file}`, `${ctx}/npm.tgz`]);
}

/**
 * Makes sure every minicloud/* base image exists and matches its Dockerfile (content-hash label); builds only
 * what is missing or changed, so a second run costs a few `docker image inspect` calls.
 */
export async function ensureBaseImages(dockerHost) {
  const t0 = Date.now();
  let built = 0;
  for (const name of BASE_IMAGES) {
    const tag = `minicloud/${name}`;
    const hash = contentHash(name);
    if (imageHash(dockerHost, tag) === hash) continue;
    const t1 = Date.now();
    const old = docker(dockerHost, ['image', 'inspect', '--format', '{{.Id}}', tag]).stdout?.trim();
    say(`Building base image ${tag}`);
    if (name === 'bookworm') await buildBookworm(dockerHost, hash);
    else {
      // The build context is the host's CA bundle only: images that fetch over HTTPS (npm) trust it.
      const ctx = `${ENGINE_DIR}/ctx-${name}`;
      rmSync(ctx, { recursive: true, force: true });
      mkdirSync(ctx, { recursive: true });
      if (existsSync('/etc/ssl/certs/ca-certificates.crt')) execFileSync('cp', ['/etc/ssl/certs/ca-certificates.crt', `${ctx}/host-ca.crt`]);
      else execFileSync('touch', [`${ctx}/host-ca.crt`]);
      if (name === 'node') packNpm(ctx);
      const r = docker(dockerHost, ['build', '--network', 'host', '--label', `minicloud.base-hash=${hash}`, '-t', tag, '-f', `${BASE_DIR}${name}.Dockerfile`, ctx],
        { env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`docker build ${tag} failed:\n${tail(`${r.stdout}${r.stderr}`, 30)}`);
      rmSync(ctx, { recursive: true, force: true });
    }
    built++;
    say(`Built ${tag} in ${secs(t1)}`);
    // The image it replaces, unless something still uses it (then docker refuses, and that is fine).
    if (old) docker(dockerHost, ['image', 'rm', old]);
  }
  say(built ? `Base images ready in ${secs(t0)} (${built} built)` : `Base images cached (${BASE_IMAGES.map((n) => `minicloud/${n}`).join(', ')})`);
  return BASE_IMAGE_ENV;
}

// `node scripts/docker-engine.mjs`: bring the engine and base images up, print the DOCKER_HOST to use.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const host = await ensureDocker();
    if (!process.argv.includes('--engine-only')) await ensureBaseImages(host);
    console.log(`export DOCKER_HOST=${host}`);
  } catch (e) {
    console.error(` !     ${e.message.split('\n').join('\n !     ')}`);
    process.exit(1);
  }
}
