// `npm run bench`: installs what is missing, then runs the benchmarks in test/bench (figures, not tests).
// `npm run bench -- router` (or ocsp, wake, deploy, isolation, docker-limits, previews, compose, footprint, swarm) runs one of them.
import { ensureBaseImages, ensureDocker } from './docker-engine.mjs';
import { ensureDeps } from './ensure-deps.mjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

ensureDeps();
// The router and minicloud run from their build (dist/), as `npm start` runs them: made here when stale.
const built = spawnSync(process.execPath, [fileURLToPath(new URL('build.mjs', import.meta.url))], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const only = process.argv.slice(2);
// The Docker rows need an engine and the buildpacks' base images, as npm test makes them.
if (!only.length || only.includes('deploy') || only.includes('wake') || only.includes('previews') || only.includes('swarm')) {
  try {
    process.env.DOCKER_HOST = await ensureDocker();
    Object.assign(process.env, await ensureBaseImages(process.env.DOCKER_HOST));
  } catch (e) {
    console.error(` !     The Docker benchmarks need an engine: ${e.message}`);
    process.exit(1);
  }
}
const { register } = await import('tsx/esm/api');
register();
await import('../test/bench/index.ts');
