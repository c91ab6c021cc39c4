// Metrics kept 7 days: the minutes of the in-memory series written to the state file in batches (once a minute,
// and at shutdown), a row per minute for a day, then rolled up into 10-minute rows, pruned after a week.
import { STATUS_CLASSES, UserError, type MinutePoint, type StatusClass } from '../core/index.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Minute rows older than this become 10-minute rows. */
export const MINUTE_ROWS_MS = DAY;
/** Nothing older is kept. */
export const KEEP_MS = 7 * DAY;
export const ROLLUP_MINUTES = 10;

/** A point and whom it belongs to, as the store keeps it. */
export interface HistoryPoint { app: string; spanMinutes: number; point: MinutePoint }

/** What the history needs of the state file (store/metric-points.ts). */
export interface HistoryStore {
  save(points: HistoryPoint[]): void;
  list(app: string, fromMs: number, toMs: number): HistoryPoint[];
  older(spanMinutes: number, beforeMs: number): HistoryPoint[];
  rollUp(spanMinutes: number, beforeMs: number, rolled: HistoryPoint[]): void;
  prune(beforeMs: number): number;
}

/** MINICLOUD_METRICS_HISTORY: on (unset) keeps 7 days in the state file; off only the last hour, in memory. */
export function historySetting(raw: string | undefined): boolean {
  const v = (raw || 'on').trim().toLowerCase();
  if (v !== 'on' && v !== 'off') throw new UserError(`MINICLOUD_METRICS_HISTORY=${raw} is neither on nor off`, 'leave it unset (on), or set MINICLOUD_METRICS_HISTORY=off');
  return v === 'on';
}

export const RANGES = { '1h': 60 * MINUTE, '24h': DAY, '7d': 7 * DAY } as const;
export type Range = keyof typeof RANGES;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const present = (xs: (number | null | undefined)[]) => xs.filter((x): x is number => typeof x === 'number');
const max = (xs: (number | null | undefined)[]) => (present(xs).length ? Math.max(...present(xs)) : null);
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Points of one period combined into one: counts add up; the median is the request-weighted mean of the medians
 * and p95/p99 the highest (percentiles of parts do not make the whole's: an upper bound, not an average that hides
 * a bad minute); CPU is the mean of the sampled points, memory the highest.
 */
export function combine(t: number, points: MinutePoint[]): MinutePoint {
  if (points.length === 1) return { ...points[0]!, t: new Date(t).toISOString() };
  const weighted = points.filter((p) => p.p50Ms !== null && p.requests > 0);
  const weight = sum(weighted.map((p) => p.requests));
  const cpu = present(points.map((p) => p.cpuPercent));
  return {
    t: new Date(t).toISOString(),
    requests: sum(points.map((p) => p.requests)),
    errors: sum(points.map((p) => p.errors)),
    p50Ms: weight ? round1(sum(weighted.map((p) => p.p50Ms! * p.requests)) / weight) : null,
    p95Ms: max(points.map((p) => p.p95Ms)),
    p99Ms: max(points.map((p) => p.p99Ms)),
    statuses: Object.fromEntries(STATUS_CLASSES.map((c) => [c, sum(points.map((p) => p.statuses[c] ?? 0))])) as Record<StatusClass, number>,
    cpuPercent: cpu.length ? round1(sum(cpu) / cpu.length) : null,
    memoryMb: max(points.map((p) => p.memoryMb)),
  };
}

/** Points (oldest first) combined per `stepMinutes` period; a point already coarser keeps its own time. */
export function rollup(points: MinutePoint[], stepMinutes: number): MinutePoint[] {
  const step = stepMinutes * MINUTE;
  const groups = new Map<number, MinutePoint[]>();
  for (const p of points) {
    const t = Math.floor(Date.parse(p.t) / step) * step;
    const g = groups.get(t);
    if (g) g.push(p);
    else groups.set(t, [p]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([t, g]) => combine(t, g));
}

export class MetricsHistory {
  /** Per app: its minutes before this one were written; the in-memory ones from it on are not yet. */
  private readonly writtenBefore = new Map<string, number>();
  /** Minutes in memory before this one were there before minicloud started: none. */
  private readonly started: number;
  private lastRollup = 0;

  constructor(private readonly store: HistoryStore, private readonly now: () => number) {
    this.started = Math.floor(now() / MINUTE) * MINUTE;
  }

  private written(app: string): number {
    return this.writtenBefore.get(app) ?? this.started;
  }

  /**
   * Writes the apps' minutes not yet written, in one transaction: the finished ones, or (`all`: at shutdown, or
   * an app that goes) the current one too, after which no more of that app's minutes are written. A minute
   * written before (the one a restart cut in two) is combined with what is there.
   */
  write(minutes: Map<string, MinutePoint[]>, all = false): number {
    const current = Math.floor(this.now() / MINUTE) * MINUTE;
    const upTo = all ? current + MINUTE : current;
    const batch: HistoryPoint[] = [];
    for (const [app, points] of minutes) {
      const due = points.filter((p) => Date.parse(p.t) >= this.written(app) && Date.parse(p.t) < upTo);
      this.writtenBefore.set(app, upTo);
      if (due.length === 0) continue;
      const first = Date.parse(due[0]!.t);
      const there = new Map(this.store.list(app, first, upTo).filter((s) => s.spanMinutes === 1).map((s) => [s.point.t, s.point]));
      for (const p of due) {
        const old = there.get(p.t);
        batch.push({ app, spanMinutes: 1, point: old ? combine(Date.parse(p.t), [old, p]) : p });
      }
    }
    if (batch.length) this.store.save(batch);
    return batch.length;
  }

  /** Minute rows older than a day into 10-minute rows, and what is older than a week gone; at most every 10 minutes. */
  compact(force = false): void {
    const now = this.now();
    if (!force && now - this.lastRollup < ROLLUP_MINUTES * MINUTE) return;
    this.lastRollup = now;
    const step = ROLLUP_MINUTES * MINUTE;
    // Whole periods only: a period is rolled up once, all its minutes together.
    const cutoff = Math.floor((now - MINUTE_ROWS_MS) / step) * step;
    const old = this.store.older(1, cutoff);
    if (old.length) {
      const byApp = new Map<string, MinutePoint[]>();
      for (const s of old) byApp.set(s.app, [...(byApp.get(s.app) ?? []), s.point]);
      const rolled = [...byApp].flatMap(([app, points]) => rollup(points, ROLLUP_MINUTES).map((point) => ({ app, spanMinutes: ROLLUP_MINUTES, point })));
      this.store.rollUp(1, cutoff, rolled);
    }
    this.store.prune(now - KEEP_MS);
  }

  /**
   * The app's points over `range`, combined per `stepMinutes`: the stored rows, and the in-memory minutes not
   * yet written (`live`) on top.
   */
  read(app: string, range: Range, stepMinutes: number, live: MinutePoint[]): MinutePoint[] {
    const to = this.now() + MINUTE;
    const from = Math.floor((this.now() - RANGES[range]) / MINUTE) * MINUTE + MINUTE;
    const stored = this.store.list(app, from, to).map((s) => s.point);
    const pending = live.filter((p) => Date.parse(p.t) >= this.written(app) && Date.parse(p.t) >= from);
    return rollup([...stored, ...pending].sort((a, b) => Date.parse(a.t) - Date.parse(b.t)), stepMinutes);
  }
}
