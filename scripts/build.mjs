// The JavaScript minicloud runs: src/ and proxy/ transpiled by esbuild into dist/ (the same tree, one .js per .ts,
// relative imports renamed to .js), stamped with a hash of the sources it came from so a start can tell it is fresh.
// `node scripts/build.mjs` builds when dist/ is missing or stale (one line says so); `--force` always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.source-hash');
const DIRS = ['src', 'proxy'];

/** The TypeScript sources that go into dist/, as paths relative to the checkout, sorted. */
function sources() {
  const found = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) found.push(p);
    }
  };
  for (const d of DIRS) walk(d);
  return found.sort();
}

/** What dist/ is made from: every source file (path and content), this recipe, the tsconfig and esbuild's version. */
export function sourceHash() {
  const h = createHash('sha256');
  h.update(readFileSync(SELF)).update(readFileSync(join(ROOT, 'tsconfig.json')));
  h.update(JSON.parse(readFileSync(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')).version);
  for (const f of sources()) h.update(`\0${f}\0`).update(readFileSync(join(ROOT, f)));
  return h.digest('hex');
}

/** 'fresh', 'stale' (built from other sources) or 'missing'. */
export function buildState() {
  let stamp;
  try {
    stamp = readFileSync(STAMP, 'utf8').trim();
  } catch {
    return 'missing';
  }
  return stamp === sourceHash() ? 'fresh' : 'stale';
}

/**
 * Makes dist/ fresh, saying so in one line when it builds. The build runs in a child process, so esbuild (its module
 * and its helper process) never stays in the caller: minicloud itself calls this at start.
 */
export function ensureBuilt(say = (line) => console.log(line)) {
  const state = buildState();
  if (state === 'fresh') return state;
  try {
    accessSync(ROOT, constants.W_OK);
  } catch {
    throw new Error(`minicloud's build (dist/) is ${state === 'missing' ? 'missing' : 'older than its sources'} and ${ROOT} is not writable by this user: run \`node scripts/build.mjs\` there as its owner (the systemd unit does it before each start)`);
  }
  say(state === 'missing' ? '-----> Building minicloud (TypeScript to JavaScript, into dist/)' : '-----> The sources changed since the last build: rebuilding minicloud (dist/)');
  const r = spawnSync(process.execPath, [SELF, '--force', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the build failed (exit ${r.status ?? r.signal}): its errors are above`);
  return state;
}

/** Each file bundled alone: every import stays an import, a relative .ts one renamed to the .js built beside it. */
const oneFileEach = {
  name: 'one-file-each',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (a.kind === 'entry-point') return undefined;
      if (a.path.startsWith('.') && !a.path.endsWith('.ts')) throw new Error(`${a.importer}: a relative import of a file that is not TypeScript (${a.path}) would not be found from dist/`);
      return { path: a.path.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

/** Builds into a new directory, then swaps it in: a process starting meanwhile loads the old build or the new, never a mix. */
async function build() {
  const { build: esbuild } = await import('esbuild');
  const hash = sourceHash();
  const tmp = join(ROOT, `.dist-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await esbuild({
      entryPoints: sources(), absWorkingDir: ROOT, outdir: tmp, outbase: ROOT, bundle: true, plugins: [oneFileEach],
      platform: 'node', format: 'esm', target: 'node20', sourcemap: 'linked', logLevel: 'warning',
    });
    writeFileSync(join(tmp, '.source-hash'), `${hash}\n`);
    swapIn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function swapIn(tmp) {
  const old = join(ROOT, `.dist-old-${process.pid}`);
  for (let i = 0; ; i++) {
    try {
      renameSync(tmp, DIST);
      break;
    } catch (e) {
      if ((e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') || i > 5) throw e;
      try {
        renameSync(DIST, old);
      } catch (e2) {
        if (e2.code !== 'ENOENT') throw e2; // another build moved it: try again
      }
    }
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] === SELF) {
  const force = process.argv.includes('--force');
  const t0 = performance.now();
  try {
    if (force) await build();
    else if (ensureBuilt() === 'fresh') console.log("-----> minicloud's build (dist/) is up to date with its sources");
  } catch (e) {
    // esbuild has printed each error with its file and line already.
    console.error(` !     ${e.message.split('\n')[0]}`);
    process.exit(1);
  }
  if (force && !process.argv.includes('--quiet')) console.log(`-----> Built minicloud into dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
