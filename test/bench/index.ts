// `npm run bench`: every benchmark, one after the other, printed figures only (no pass/fail).
import { routerBench } from './router.bench.ts';
import { wakeBench } from './wake.bench.ts';
import { deployBench } from './deploy.bench.ts';
import { isolationBench } from './isolation.bench.ts';
import { dockerLimitsBench } from './docker-limits.bench.ts';
import { previewsBench } from './previews.bench.ts';
import { footprintBench } from './footprint.bench.ts';
import { composeBench } from './compose.bench.ts';
import { swarmBench } from './swarm.bench.ts';
import { ocspBench } from './ocsp.bench.ts';

const benches: Array<[string, () => Promise<void>]> = [['router', routerBench], ['ocsp', ocspBench], ['wake', wakeBench], ['deploy', deployBench], ['isolation', isolationBench], ['docker-limits', dockerLimitsBench], ['previews', previewsBench], ['compose', composeBench], ['footprint', footprintBench], ['swarm', swarmBench]];
const only = process.argv.slice(2);
for (const [name, run] of benches) {
  if (only.length && !only.includes(name)) continue;
  await run();
}
