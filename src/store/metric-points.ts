// Metrics history (metrics/history.ts): each app's points, one row per minute for a day, then one per 10 minutes
// to a week. Rows go with their app (destroy) and its name (rename); points of an app that is gone are skipped.
import type { MinutePoint } from '../core/index.ts';
import type { Db } from './db.ts';

export interface MetricPointRow {
  app: string; span: number; t: number; requests: number; errors: number;
  s1xx: number; s2xx: number; s3xx: number; s4xx: number; s5xx: number;
  p50: number | null; p95: number | null; p99: number | null; cpu: number | null; memory_mb: number | null;
}

/** A stored point: its app and the minutes it covers (1, or 10 once rolled up). */
export interface StoredPoint { app: string; spanMinutes: number; point: MinutePoint }

const toPoint = (r: MetricPointRow): StoredPoint => ({
  app: r.app, spanMinutes: r.span,
  point: {
    t: new Date(r.t).toISOString(), requests: r.requests, errors: r.errors, p50Ms: r.p50, p95Ms: r.p95, p99Ms: r.p99,
    statuses: { '1xx': r.s1xx, '2xx': r.s2xx, '3xx': r.s3xx, '4xx': r.s4xx, '5xx': r.s5xx }, cpuPercent: r.cpu, memoryMb: r.memory_mb,
  },
});

export class MetricPointsTable {
  constructor(private readonly db: Db) {}

  /** Inserts or replaces the points in one transaction; those of apps no longer there are left out. */
  save(points: StoredPoint[]): void {
    const put = this.db.prepare(`INSERT OR REPLACE INTO metric_points (app, span, t, requests, errors, s1xx, s2xx, s3xx, s4xx, s5xx, p50, p95, p99, cpu, memory_mb)
      SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM apps WHERE name = ?)`);
    this.db.transaction(() => {
      for (const { app, spanMinutes, point: p } of points) {
        const s = p.statuses;
        put.run(app, spanMinutes, Date.parse(p.t), p.requests, p.errors, s['1xx'], s['2xx'], s['3xx'], s['4xx'], s['5xx'], p.p50Ms, p.p95Ms, p.p99Ms, p.cpuPercent, p.memoryMb, app);
      }
    })();
  }

  /** The app's points from `fromMs` (included) to `toMs` (excluded), oldest first, of any span. */
  list(app: string, fromMs: number, toMs: number): StoredPoint[] {
    return this.db.prepare<[string, number, number], MetricPointRow>('SELECT * FROM metric_points WHERE app = ? AND t >= ? AND t < ? ORDER BY t, span')
      .all(app, fromMs, toMs).map(toPoint);
  }

  /** Every app's points of one span older than `beforeMs`: what a rollup takes. */
  older(spanMinutes: number, beforeMs: number): StoredPoint[] {
    return this.db.prepare<[number, number], MetricPointRow>('SELECT * FROM metric_points WHERE span = ? AND t < ? ORDER BY app, t').all(spanMinutes, beforeMs).map(toPoint);
  }

  /** Replaces one span's points older than `beforeMs` by `rolled` (already combined), in one transaction. */
  rollUp(spanMinutes: number, beforeMs: number, rolled: StoredPoint[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM metric_points WHERE span = ? AND t < ?').run(spanMinutes, beforeMs);
      this.save(rolled);
    })();
  }

  /** Forgets every point older than `beforeMs`. */
  prune(beforeMs: number): number {
    return this.db.prepare('DELETE FROM metric_points WHERE t < ?').run(beforeMs).changes;
  }
}
