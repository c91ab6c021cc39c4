// Storage volumes: persistent directories an app keeps across deploys, restarts and rollbacks.
import type { Db } from './db.ts';

export class Volumes {
  constructor(private readonly db: Db) {}
}
