// `npm start` (or `node scripts/start.mjs`, which spares npm's resident process): installs what is missing, builds
// minicloud's JavaScript when the sources changed since the last build (scripts/build.mjs), then runs it in this
// very process with plain node: no tsx, no esbuild process stays.
import { ensureBuilt } from './build.mjs';
import { ensureDeps } from './ensure-deps.mjs';

ensureDeps();
try {
  ensureBuilt();
} catch (e) {
  console.error(` !     ${e.message}`);
  process.exit(1);
}
await import('../dist/src/main.js');
