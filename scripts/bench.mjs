// `npm run bench`: installs what is missing, then runs the benchmarks in test/bench (figures, not tests).
import { ensureDeps } from './ensure-deps.mjs';

ensureDeps();
const { register } = await import('tsx/esm/api');
register();
await import('../test/bench/index.ts');
