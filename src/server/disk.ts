// Disk hygiene's part in the composition root: `minicloud df` and `minicloud prune` for the API, and the prune run on
// a schedule (MINICLOUD_PRUNE_INTERVAL, daily by default: stale build caches only, never storage).
import type { DiskUsageInfo, Logger, PruneReportInfo, PruneRequest } from '../core/index.ts';
import { DiskPrune, diskUsage } from '../pipeline/index.ts';
import type { Base } from './base.ts';
import type { Config } from './config.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface DiskPart {
  usage(): Promise<DiskUsageInfo>;
  prune(o: PruneRequest): Promise<PruneReportInfo>;
}

export function startDisk(cfg: Config, base: Base, log: Logger, life: Lifecycle): DiskPart {
  const { p, store, builder } = base;
  const paths = { dataDir: cfg.dataDir, repos: p.repos, github: p.github, builds: p.builds, cache: p.cache, sources: p.sources, logs: p.logs, volumes: p.volumes, backups: p.backups };
  const pruner = new DiskPrune({ store, paths, builder, log, ...(base.registry?.own && { registry: base.registry.own }) });
  pruner.start(cfg.pruneIntervalMs);
  life.add('disk prune', () => pruner.stop());
  return { usage: () => diskUsage(store, paths, cfg.minFree, base.engine ? () => builder.usage() : undefined), prune: (o) => pruner.prune(o) };
}
