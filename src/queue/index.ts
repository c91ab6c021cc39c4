// queue: deploy jobs in Redis (BullMQ), one at a time per app, and whether Redis answers.
export { DeployQueue, connectionFromUrl, type Processor } from './deploy-queue.ts';
export type { DeployJob } from '../core/index.ts';
export { CronScheduler, cronSchedulerId, type CronEntry, type CronJob, type CronProcessor } from './cron.ts';
export { QueueUnavailableError, RedisWatch } from './redis-watch.ts';
export { startLocalRedis, type LocalRedis } from './local-redis.ts';
