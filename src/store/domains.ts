// Custom domains: which app serves a host name (one app per domain).
import type { Db } from './db.ts';

export class Domains {
  constructor(private readonly db: Db) {}
}
