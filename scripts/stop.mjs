// `npm stop`: stops the router daemon of this data dir (MINICLOUD_DATA, as `npm start` reads it), which outlives
// minicloud by design; apps keep their processes (the next `npm start` adopts them). Stop minicloud itself first (Ctrl-C).
import { ensureBuilt } from './build.mjs';
import { ensureDeps } from './ensure-deps.mjs';

ensureDeps();
try {
  ensureBuilt();
} catch (e) {
  console.error(` !     ${e.message}`);
  process.exit(1);
}
const { loadConfig } = await import('../dist/src/server/config.js');
const { stopRouterDaemon } = await import('../dist/src/router-daemon/index.js');
const { join } = await import('node:path');
const dir = join(loadConfig().dataDir, 'router');
const pid = await stopRouterDaemon(dir);
console.log(pid === null ? `No router daemon answers in ${dir}` : `Stopped the router daemon (pid ${pid}): apps are no longer served until the next npm start`);
