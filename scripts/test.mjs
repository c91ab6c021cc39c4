// `npm test`: installs what the tests need, checks the code's shape, runs the whole suite, prints one summary line.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureBaseImages, ensureDocker } from './docker-engine.mjs';
import { ensureInstallerImages } from './stand-in-images.mjs';
import { ensureDeps } from './ensure-deps.mjs';
import { ensureServices } from './services.mjs';
import { lanes } from './test-lanes.mjs';

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
// minicloud's build (dist/), made once here: both lanes' globalSetup then find it fresh.
step('Build (TypeScript to JavaScript, into dist/)', process.execPath, ['scripts/build.mjs']);
console.log('-----> Test suite (vitest)');
const vitestArgs = (report, rest) => ['run', '--config', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...rest];
const runs = process.argv.length > 2
  // Files or options given (`npm test -- test/integration/wake.test.ts`): one run of just those.
  ? [{ name: '', args: process.argv.slice(2) }]
  // The whole suite: lanes side by side (scripts/test-lanes.mjs says which file goes where, and why).
  : (({ docker, swarm, host, browser }) => {
      return [
        { name: 'docker', args: ['--project', 'integration', ...docker] },
        { name: 'swarm', args: ['--project', 'integration', ...swarm] },
        // Host-process files never meet one another's names: they take two lanes, split evenly by size (a file's
        // size goes with its time far better than its name's place in the list: 794/878 s against 959/713 s).
        ...splitBySize(host).map((files, i) => ({ name: `host${i + 1}`, args: ['--project', 'integration', ...files] })),
        // Chromium drops a page's requests (ERR_NETWORK_CHANGED) whenever the host's interfaces change, and Docker
        // networks and network namespaces come and go all through the docker and swarm lanes: the browser tests run
        // once those two lanes are done, beside what is left of the host lanes (which make no interfaces).
        { name: 'e2e', after: ['docker', 'swarm'], args: ['--project', 'integration', ...browser] },
      ].filter((r) => r.args.some((a) => a.startsWith('test/'))); // an empty filter list would run every file
    })(lanes(root));
const lane = (r) => runLane(r.name, vitestArgs(`${root}test/artifacts/vitest-report${r.name ? `-${r.name}` : ''}.json`, r.args));
// The unit tests first, alone: a few of them bound how long a check may take (a stall that must not happen), with
// margins for a busy machine but not for four lanes of servers beside them; alone they take a minute or two.
const results = runs.length > 1 ? [await lane({ name: 'unit', args: ['--project', 'unit'] })] : [];
const ended = new Map();
for (const r of runs) ended.set(r.name, Promise.all((r.after ?? []).map((n) => ended.get(n))).then(() => lane(r)));
results.push(...await Promise.all(ended.values()));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const { status, summary } of results) {
  passed += summary?.numPassedTests ?? 0;
  failed += (summary?.numFailedTests ?? 0) + (summary ? 0 : 1);
  skipped += (summary?.numPendingTests ?? 0) + (summary?.numTodoTests ?? 0);
  if (status !== 0 && summary && !summary.numFailedTests) failed += 1; // vitest failed outside a test (a file that did not load)
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

/** Two lists of about the same total size, the largest files placed first, each on the lighter side. */
function splitBySize(files) {
  const sides = [{ bytes: 0, files: [] }, { bytes: 0, files: [] }];
  const sized = files.map((f) => ({ f, bytes: statSync(`${root}${f}`).size })).sort((a, b) => b.bytes - a.bytes);
  for (const { f, bytes } of sized) {
    const side = sides[0].bytes <= sides[1].bytes ? sides[0] : sides[1];
    side.bytes += bytes;
    side.files.push(f);
  }
  return sides.map((x) => x.files);
}

/** One vitest run; a lane's lines are prefixed with its name so two lanes' output can be told apart. */
function runLane(name, args) {
  const report = args.find((a) => a.startsWith('--outputFile.json=')).slice('--outputFile.json='.length);
  rmSync(report, { force: true }); // a report left by an earlier run must not stand in for this one's
  return new Promise((resolve) => {
    const child = spawn(bin('vitest'), args, { cwd: root, stdio: name ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (name) {
      const tag = `[${name}] `;
      for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
        let rest = '';
        from.on('data', (d) => {
          const lines = (rest + d).split('\n');
          rest = lines.pop();
          if (lines.length) to.write(lines.map((l) => tag + l).join('\n') + '\n');
        });
        from.on('end', () => { if (rest) to.write(tag + rest + '\n'); });
      }
    }
    child.on('close', (status) => {
      let summary = null;
      try {
        summary = JSON.parse(readFileSync(report, 'utf8'));
      } catch {
        // no report: vitest itself failed before running tests
      }
      resolve({ status, summary });
    });
  });
}
