// Each deploy's log, line by line (numbered per deploy), how much it holds, and pruning the logs of an app's old deploys.
import type { LogLine } from '../core/index.ts';
import type { Db } from './db.ts';

/** A row of `deploy_logs`. */
export interface DeployLogRow extends LogLine { deploy_id: string }

export class DeployLogsTable {
  constructor(private readonly db: Db) {}

  /** Numbers the line inside the insert's transaction, after the deploy's last. */
  append(deployId: string, text: string): LogLine {
    const time = new Date().toISOString();
    const seq = this.db.transaction(() => {
      const max = this.db.prepare<[string], { s: number | null }>('SELECT MAX(seq) AS s FROM deploy_logs WHERE deploy_id = ?').get(deployId);
      const s = (max?.s ?? 0) + 1;
      this.db.prepare('INSERT INTO deploy_logs (deploy_id, seq, time, text) VALUES (?, ?, ?, ?)').run(deployId, s, time, text);
      return s;
    })();
    return { seq, time, text };
  }

  /** The deploy's lines after `afterSeq`, in order. */
  lines(deployId: string, afterSeq = 0): LogLine[] {
    return this.db.prepare<[string, number], LogLine>('SELECT seq, time, text FROM deploy_logs WHERE deploy_id = ? AND seq > ? ORDER BY seq').all(deployId, afterSeq);
  }

  /** The deploy's last `n` lines, in order (a failed deploy's alert quotes them). */
  tail(deployId: string, n: number): LogLine[] {
    return this.db.prepare<[string, number], LogLine>('SELECT seq, time, text FROM deploy_logs WHERE deploy_id = ? ORDER BY seq DESC LIMIT ?').all(deployId, n).reverse();
  }

  /** How much of a deploy's log is stored: lines and bytes. */
  size(deployId: string): { lines: number; bytes: number } {
    const r = this.db.prepare<[string], { n: number; b: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(length(CAST(text AS BLOB))), 0) AS b FROM deploy_logs WHERE deploy_id = ?').get(deployId);
    return { lines: Number(r?.n ?? 0), bytes: Number(r?.b ?? 0) };
  }

  /** Deletes the log lines of the app's deploys but the newest `keep` (the deploys themselves stay, as history). */
  prune(app: string, keep: number): number {
    return this.db.prepare(`DELETE FROM deploy_logs WHERE deploy_id IN
      (SELECT id FROM deploys WHERE app = ? ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)`).run(app, keep).changes;
  }
}
