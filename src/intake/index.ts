// intake: where deploys come from: the git server and its pre-receive hook.
export { GitServer, type GitServerOptions } from './git-server.ts';
export { PushIntake, type PushPlan, type RefUpdate } from './push.ts';
