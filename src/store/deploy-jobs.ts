// What a deploy needs to run again, kept beside it in the database (Redis only orders the queue), and whether its pusher was told how it ended.
import type { Deploy } from '../core/index.ts';
import type { Db } from './db.ts';
import { toDeploy, type Row } from './rows.ts';

/** A deploy's job as the database keeps it: everything but secrets (registry credentials stay in the queue only). */
export interface StoredJob {
  /** Shown in the release list for config changes and restarts. */
  description?: string;
  /** Rollback: the release to go back to. */
  targetRelease?: number;
  /** Webhook deploys: the clone URL the commit is fetched from. */
  fetchFrom?: string;
  /** A config change: applied to the release, and kept as the app's config only once that release is up. */
  configChanges?: Record<string, string | null>;
  /** Image deploys with registry credentials: those live in the queue only, so the job cannot be rebuilt from here. */
  registryAuth?: boolean;
}

const UNFINISHED = "status IN ('queued', 'building', 'releasing')";

export class DeployJobs {
  constructor(private readonly db: Db) {}

  get(deployId: string): StoredJob {
    const r = this.db.prepare('SELECT job FROM deploys WHERE id = ?').get(deployId) as Row | undefined;
    return r?.job ? (JSON.parse(r.job as string) as StoredJob) : {};
  }

  /** Every deploy not finished yet, oldest first. */
  unfinished(): Deploy[] {
    return (this.db.prepare(`SELECT * FROM deploys WHERE ${UNFINISHED} ORDER BY created_at, rowid`).all() as Row[]).map(toDeploy);
  }

  /** A pushed deploy: its pusher waits for the outcome until told. */
  awaitPusher(deployId: string): void {
    this.db.prepare('UPDATE deploys SET pusher_told = 0 WHERE id = ?').run(deployId);
  }

  /** The pusher saw the outcome (the hook printed it, or a later push did). */
  markTold(deployId: string): void {
    this.db.prepare('UPDATE deploys SET pusher_told = 1 WHERE id = ? AND pusher_told = 0').run(deployId);
  }

  /** The app's pushed deploys whose pusher never saw how they ended (the connection to minicloud dropped), oldest first. */
  untold(app: string): Deploy[] {
    return (this.db.prepare('SELECT * FROM deploys WHERE app = ? AND pusher_told = 0 ORDER BY created_at, rowid').all(app) as Row[]).map(toDeploy);
  }
}
