// How much each deploy's log holds, and pruning the logs of an app's old deploys (the lines themselves: store.ts).
import type { Db } from './db.ts';

type Row = Record<string, unknown>;

export class DeployLogsTable {
  constructor(private readonly db: Db) {}

  /** How much of a deploy's log is stored: lines and bytes. */
  size(deployId: string): { lines: number; bytes: number } {
    const r = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(CAST(text AS BLOB))), 0) AS b FROM deploy_logs WHERE deploy_id = ?').get(deployId) as Row;
    return { lines: Number(r.n), bytes: Number(r.b) };
  }

  /** Deletes the log lines of the app's deploys but the newest `keep` (the deploys themselves stay, as history). */
  prune(app: string, keep: number): number {
    return this.db.prepare(`DELETE FROM deploy_logs WHERE deploy_id IN
      (SELECT id FROM deploys WHERE app = ? ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)`).run(app, keep).changes;
  }
}
