// intake: where deploys come from: the git server and its pre-receive hook, and GitHub webhooks.
export { GitServer, type GitServerOptions } from './git-server.ts';
export { PushIntake, type PreviewHooks, type PushPlan, type PushStart, type RefUpdate } from './push.ts';
export { finalStatus, postStatus } from './github-status.ts';
export { GithubIntake, type WebhookReply } from './github.ts';
export { REPO, fetchCommit } from './github-fetch.ts';
export { submitDeploy, type JobSpec, type NewDeploy } from './submit.ts';
