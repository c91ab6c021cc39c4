// The last hour of one app, minute by minute: requests by status class, latency percentiles, CPU and memory.
import { STATUS_CLASSES, type MinutePoint, type StatusClass } from '../core/index.ts';

export type { MinutePoint };

const MINUTE = 60_000;
/** Latencies kept per minute for the percentiles: a uniform sample (reservoir) beyond this many. */
export const RESERVOIR = 512;

interface Bucket {
  requests: number;
  errors: number;
  statuses: Record<StatusClass, number>;
  seen: number;
  latencies: number[];
  cpuSum: number;
  cpuSamples: number;
  memoryBytes: number | null;
}

const noStatuses = () => Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0])) as Record<StatusClass, number>;
const empty = (): Bucket => ({ requests: 0, errors: 0, statuses: noStatuses(), seen: 0, latencies: [], cpuSum: 0, cpuSamples: 0, memoryBytes: null });

/** The status class of an HTTP status (`2xx`...), or null for what is not one. */
export function statusClass(status: number): StatusClass | null {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? (`${Math.floor(status / 100)}xx` as StatusClass) : null;
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export class MinuteSeries {
  private readonly apps = new Map<string, Map<number, Bucket>>();

  constructor(private readonly now: () => number = Date.now, private readonly keepMinutes = 60, private readonly random: () => number = Math.random) {}

  request(app: string, status: number, ms: number): void {
    const b = this.bucket(app);
    b.requests++;
    if (status >= 500 && status <= 599) b.errors++;
    const cls = statusClass(status);
    if (cls) b.statuses[cls]++;
    b.seen++;
    if (b.latencies.length < RESERVOIR) b.latencies.push(ms);
    else {
      const i = Math.floor(this.random() * b.seen);
      if (i < RESERVOIR) b.latencies[i] = ms;
    }
  }

  /** One sample of an app's instances: CPU in percent of one core since the last sample, memory in bytes. */
  sample(app: string, cpuPercent: number, memoryBytes: number): void {
    const b = this.bucket(app);
    b.cpuSum += cpuPercent;
    b.cpuSamples++;
    b.memoryBytes = memoryBytes;
  }

  /** The app's minutes with any request or sample in the last hour (from `fromMs` on), oldest first. */
  minutes(app: string, fromMs = 0): MinutePoint[] {
    const buckets = this.apps.get(app);
    if (!buckets) return [];
    this.prune(buckets);
    return [...buckets.entries()].filter(([start]) => start >= fromMs).sort(([a], [b]) => a - b).map(([start, b]) => {
      const sorted = [...b.latencies].sort((x, y) => x - y);
      return {
        t: new Date(start).toISOString(),
        requests: b.requests,
        errors: b.errors,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        p99Ms: percentile(sorted, 99),
        statuses: { ...b.statuses },
        cpuPercent: b.cpuSamples ? round(b.cpuSum / b.cpuSamples, 1) : null,
        memoryMb: b.memoryBytes === null ? null : round(b.memoryBytes / (1024 * 1024), 1),
      };
    });
  }

  /** The apps with minutes kept. */
  names(): string[] {
    return [...this.apps.keys()];
  }

  forget(app: string): void {
    this.apps.delete(app);
  }

  private bucket(app: string): Bucket {
    let buckets = this.apps.get(app);
    if (!buckets) this.apps.set(app, (buckets = new Map()));
    const start = Math.floor(this.now() / MINUTE) * MINUTE;
    let b = buckets.get(start);
    if (!b) {
      buckets.set(start, (b = empty()));
      this.prune(buckets);
    }
    return b;
  }

  private prune(buckets: Map<number, Bucket>): void {
    const oldest = Math.floor(this.now() / MINUTE) * MINUTE - (this.keepMinutes - 1) * MINUTE;
    for (const start of buckets.keys()) if (start < oldest) buckets.delete(start);
  }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
