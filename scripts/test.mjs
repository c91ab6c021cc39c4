// `npm test`: installs what the tests need, checks the code's shape, runs the whole suite, prints one summary line.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureBaseImages, ensureDocker } from './docker-engine.mjs';
import { ensureInstallerImages } from './stand-in-images.mjs';
import { ensureDeps } from './ensure-deps.mjs';
import { ensureServices } from './services.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

// Command → Debian package that provides it. The tests start their own redis-server on a free port;
// the dashboard's end-to-end test drives a headless Chromium (playwright-core, /usr/bin/chromium);
// the process runtime builds Python, Ruby and Go apps with the host's toolchains.
const NEEDED = {
  git: 'git', 'redis-server': 'redis-server', tar: 'tar', chromium: 'chromium',
  python3: 'python3', go: 'golang-go', ruby: 'ruby', bundle: 'bundler',
  // The HTTPS test gets its certificates from Pebble, Let's Encrypt's test CA (with its fake DNS); openssl makes Pebble's own.
  pebble: 'pebble', openssl: 'openssl',
  // The server installer (scripts/install.sh) must pass shellcheck.
  shellcheck: 'shellcheck',
  // The Swarm tests form a real swarm of dockerds in network namespaces (test/helpers/swarm.ts), with Debian's
  // registry (the Distribution registry) on the manager.
  ip: 'iproute2', unshare: 'util-linux', 'docker-registry': 'docker-registry',
};

function ensureTools() {
  const missing = Object.entries(NEEDED).filter(([cmd]) => !has(cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has('apt-get')) {
    console.log(`-----> Installing ${pkgs.join(', ')} (apt-get)`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return;
  }
  console.error(` !     The tests need ${missing.map(([c]) => c).join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not on PATH.`);
  console.error(` !     Install ${pkgs.join(' ')} (Debian/Ubuntu: sudo apt-get install ${pkgs.join(' ')}; macOS: brew install ${pkgs.join(' ').replace('redis-server', 'redis')}), then run npm test again.`);
  process.exit(1);
}

function step(title, cmd, args) {
  console.log(`-----> ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(` !     ${title} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

ensureDeps();
ensureTools();
const missing = await ensureServices();
if (missing.length) {
  console.error(' !     The add-on tests talk to real shared servers, and these are not reachable:');
  for (const m of missing) console.error(` !       ${m}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// A real Docker engine and the local base images (no registry is reachable): every test and every minicloud
// the tests start inherit DOCKER_HOST and the build-arg overrides pointing the buildpacks at the local images.
try {
  process.env.DOCKER_HOST = await ensureDocker();
  Object.assign(process.env, await ensureBaseImages(process.env.DOCKER_HOST));
  // The installer test's stand-ins of official images and minicloud's own image (cached; built before the suite
  // so that their compiles do not compete with timed tests).
  await ensureInstallerImages(process.env.DOCKER_HOST, root.replace(/\/$/, ''));
} catch (e) {
  console.error(` !     The Docker tests need an engine: ${e.message.split('\n').join('\n !     ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const bin = (name) => `${root}node_modules/.bin/${name}`;
step('Type check (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
step('Lint: rules and size budgets (biome lint, biome.jsonc)', bin('biome'), ['lint']);
step('No import cycles (madge --circular)', bin('madge'), ['--circular', '--extensions', 'ts', '--ts-config', 'tsconfig.json', 'src', 'proxy']);

mkdirSync(`${root}test/artifacts`, { recursive: true });
const report = `${root}test/artifacts/vitest-report.json`;
console.log('-----> Test suite (vitest)');
const run = spawnSync(bin('vitest'), ['run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit',
});
let summary = null;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  // no report: vitest itself failed before running tests
}
const passed = summary?.numPassedTests ?? 0;
const failed = (summary?.numFailedTests ?? 0) + (summary ? 0 : 1);
const skipped = (summary?.numPendingTests ?? 0) + (summary?.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
