// log: the deploy log, stored and streamed live.
export { DeployLog } from './deploy-log.ts';
