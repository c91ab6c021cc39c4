// Cron runs: when each scheduled command of an app ran, and how it ended.
import type { Db } from './db.ts';

export class CronRuns {
  constructor(private readonly db: Db) {}
}
