// log: the deploy log, stored and streamed live; an app's logs (output, access log, deploys) merged in time order.
export { DeployLog } from './deploy-log.ts';
export { mergedLogs, ownTime, type MergeOptions, type MergeSources } from './merged.ts';
