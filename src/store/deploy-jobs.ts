// What a deploy needs to run again, kept beside it in the database (Redis only orders the queue), and whether its pusher was told how it ended.
import type { Deploy } from '../core/index.ts';
import type { Db } from './db.ts';
import { fromJson } from './json.ts';
import { toDeploy, type DeployRow, type StoredJob } from './deploys.ts';

export type { StoredJob } from './deploys.ts';

/** The columns of `deploys` this file keeps. */
export interface DeployJobRow { job: string | null; pusher_told: number | null }

const UNFINISHED = "status IN ('queued', 'building', 'releasing')";

export class DeployJobsTable {
  constructor(private readonly db: Db) {}

  get(deployId: string): StoredJob {
    const r = this.db.prepare<[string], Pick<DeployJobRow, 'job'>>('SELECT job FROM deploys WHERE id = ?').get(deployId);
    return r?.job ? fromJson<StoredJob>(r.job) : {};
  }

  /** Every deploy not finished yet, oldest first. */
  unfinished(): Deploy[] {
    return this.db.prepare<[], DeployRow>(`SELECT * FROM deploys WHERE ${UNFINISHED} ORDER BY created_at, rowid`).all().map(toDeploy);
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
    return this.db.prepare<[string], DeployRow>('SELECT * FROM deploys WHERE app = ? AND pusher_told = 0 ORDER BY created_at, rowid').all(app).map(toDeploy);
  }
}
