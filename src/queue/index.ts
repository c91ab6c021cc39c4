// queue: deploy jobs in Redis (BullMQ), one at a time per app.
export { DeployQueue, connectionFromUrl, type DeployJob, type Processor } from './deploy-queue.ts';
export { CronScheduler, cronSchedulerId, type CronEntry, type CronJob, type CronProcessor } from './cron.ts';
