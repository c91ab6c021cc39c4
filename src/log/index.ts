// log: the deploy log, stored and streamed live; the router's access log, one file per app.
export { DeployLog } from './deploy-log.ts';
