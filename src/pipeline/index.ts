// pipeline: the deploy script: make the release, run its release phase, roll it out, report.
export { Pipeline } from './deploy.ts';
export type { PipelineDeps } from './deps.ts';
export { DEPLOY_KINDS, type DeployKind } from './kinds.ts';
export { sourceTar } from './releases.ts';
export { DiskPrune, STALE_CACHE_MS } from './disk-prune.ts';
export { diskUsage, type DiskPaths } from './disk-usage.ts';
export { AppLocks } from './app-lock.ts';
