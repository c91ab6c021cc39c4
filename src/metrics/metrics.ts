// Prometheus metrics of the router and the instances (own registry), and the last hour per app in memory.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger, type Logger } from '../core/index.ts';
import { instanceUsage } from './cgroup.ts';
import type { ProcUsage } from './proc.ts';
import { MinuteSeries, statusClass, type MinutePoint } from './series.ts';
import { MetricsHistory, rollup, type HistoryStore, type Range } from './history.ts';

/** What the sampler needs of an instance (the store's `listInstances()` rows fit). */
export interface InstanceRef {
  id: string;
  app: string;
  type: string;
  pid: number | null;
  state: string;
}

export interface MetricsOptions {
  /** Every instance of every app; those with a pid that are starting, up or draining are sampled. */
  instances: () => InstanceRef[];
  /** Between two samples of the instances; default 15 s. */
  sampleMs?: number;
  now?: () => number;
  /** CPU and memory of an instance by its pid; default its container's cgroup, or its process group in /proc. */
  usage?: (pid: number) => ProcUsage | null;
  /** Node's own process metrics (`minicloud_process_*`, `minicloud_nodejs_*`); default on. */
  defaults?: boolean;
  /** The operator's log: samples that failed. */
  log?: Logger;
  /** Where minutes are kept for 7 days (the state file); without it only the last hour, in memory. */
  history?: HistoryStore;
  /** Between two writes of the finished minutes to `history`; default 60 s. */
  writeMs?: number;
}

const RUNNING = new Set(['starting', 'up', 'draining']);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The line without the client address and quoted User-Agent that end it (older lines have neither): a scan, no regex. */
function withoutClient(line: string): string {
  if (!line.endsWith('"')) return line;
  for (let i = line.length - 2; i >= 0; i--) {
    if (line[i] !== '"') continue;
    let slashes = 0;
    while (i - 1 - slashes >= 0 && line[i - 1 - slashes] === '\\') slashes++;
    if (slashes % 2 === 1) continue; // an escaped quote inside the field
    const before = line.lastIndexOf(' ', i - 2);
    return line[i - 1] === ' ' && before > 0 ? line.slice(0, before) : line;
  }
  return line;
}

/** Status and milliseconds of a router access-log line (`method host path status bytes ms requestId client "ua"`). */
export function parseAccessLine(line: string): { status: number; ms: number } | null {
  const f = withoutClient(line.trimEnd()).split(' ');
  if (f.length < 7) return null;
  const status = Number(f[f.length - 4]);
  const ms = Number(f[f.length - 2]);
  return Number.isInteger(status) && Number.isFinite(ms) ? { status, ms } : null;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly series: MinuteSeries;
  private readonly now: () => number;
  private readonly usage: (pid: number) => ProcUsage | null;
  private readonly requests: Counter<'app' | 'status_class'>;
  private readonly duration: Histogram<'app'>;
  private readonly cpu: Counter<'app' | 'type' | 'instance'>;
  private readonly memory: Gauge<'app' | 'type' | 'instance'>;
  /** The previous sample of each instance, by instance id. */
  private last = new Map<string, { pid: number; cpuSeconds: number; at: number; labels: Record<'app' | 'type' | 'instance', string> }>();
  private timer: NodeJS.Timeout | null = null;
  private writer: NodeJS.Timeout | null = null;
  private readonly history: MetricsHistory | null;

  constructor(private readonly o: MetricsOptions) {
    this.now = o.now ?? Date.now;
    this.usage = o.usage ?? ((pid) => instanceUsage(pid));
    this.series = new MinuteSeries(this.now);
    this.history = o.history ? new MetricsHistory(o.history, this.now) : null;
    const registers = [this.registry];
    this.requests = new Counter({ name: 'minicloud_router_requests_total', help: 'Requests the router answered for an app, by status class', labelNames: ['app', 'status_class'], registers });
    this.duration = new Histogram({ name: 'minicloud_router_request_duration_seconds', help: 'Time from request to response end at the router', labelNames: ['app'], buckets: BUCKETS, registers });
    this.cpu = new Counter({ name: 'minicloud_instance_cpu_seconds_total', help: 'User and system CPU time of an instance (its container, or its process group)', labelNames: ['app', 'type', 'instance'], registers });
    this.memory = new Gauge({ name: 'minicloud_instance_memory_bytes', help: 'Memory of an instance: its container\'s usage less inactive page cache, or its process group\'s resident memory (VmRSS)', labelNames: ['app', 'type', 'instance'], registers });
    if (o.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'minicloud_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One request the router answered for `app`. */
  observe(app: string, status: number, ms: number): void {
    const cls = statusClass(status);
    if (cls === null || !Number.isFinite(ms) || ms < 0) return;
    this.requests.inc({ app, status_class: cls });
    this.duration.observe({ app }, ms / 1000);
    this.series.request(app, status, ms);
  }

  /** `observe` from a router access-log line; lines that do not parse are ignored. */
  observeLine(app: string, line: string): void {
    const r = parseAccessLine(line);
    if (r) this.observe(app, r.status, r.ms);
  }

  /** Samples CPU and memory of every running instance once. */
  sample(): void {
    const at = this.now();
    const next = new Map<string, { pid: number; cpuSeconds: number; at: number; labels: Record<'app' | 'type' | 'instance', string> }>();
    const perApp = new Map<string, { cpuPercent: number; memoryBytes: number }>();
    for (const inst of this.o.instances()) {
      if (inst.pid === null || !RUNNING.has(inst.state)) continue;
      const u = this.usage(inst.pid);
      if (!u) continue;
      const labels = { app: inst.app, type: inst.type, instance: inst.id };
      const prev = this.last.get(inst.id);
      const same = prev !== undefined && prev.pid === inst.pid;
      // A new process counts from zero; a process group whose children exited can go down: no negative counts.
      const delta = same ? Math.max(0, u.cpuSeconds - prev.cpuSeconds) : u.cpuSeconds;
      if (delta > 0) this.cpu.inc(labels, delta);
      this.memory.set(labels, u.rssBytes);
      next.set(inst.id, { pid: inst.pid, cpuSeconds: u.cpuSeconds, at, labels });
      const agg = perApp.get(inst.app) ?? { cpuPercent: 0, memoryBytes: 0 };
      if (same && at > prev.at) agg.cpuPercent += (delta / ((at - prev.at) / 1000)) * 100;
      agg.memoryBytes += u.rssBytes;
      perApp.set(inst.app, agg);
    }
    for (const [id, prev] of this.last) {
      if (next.has(id)) continue;
      this.cpu.remove(prev.labels);
      this.memory.remove(prev.labels);
    }
    this.last = next;
    for (const [app, v] of perApp) this.series.sample(app, v.cpuPercent, v.memoryBytes);
  }

  /**
   * The app's points over `range` (the last hour, day or week), combined per `stepMinutes`; points with neither
   * requests nor samples left out. Without a history, only the last hour is there.
   */
  minutes(app: string, range: Range = '1h', stepMinutes = 1): MinutePoint[] {
    if (!this.history) return rollup(this.series.minutes(app), stepMinutes);
    return this.history.read(app, range, stepMinutes, this.series.minutes(app));
  }

  /**
   * Writes the minutes not yet in the history and rolls up old ones; `all` (at shutdown, or `apps` going) the
   * current minute too.
   */
  flush(all = false, apps = this.series.names()): void {
    if (!this.history) return;
    const from = this.now() - 2 * 60 * 60_000;
    this.history.write(new Map(apps.map((app) => [app, this.series.minutes(app, from)])), all);
    this.history.compact();
  }

  /** Everything in the Prometheus text format (`contentType`). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => {
      try { this.sample(); } catch (e) { (this.o.log ?? createLogger({ label: 'metrics' })).error('sampling failed:', e); }
    }, this.o.sampleMs ?? 15_000);
    this.timer.unref();
    if (!this.history) return;
    this.writer = setInterval(() => {
      try { this.flush(); } catch (e) { (this.o.log ?? createLogger({ label: 'metrics' })).error('writing the metrics history failed:', e); }
    }, this.o.writeMs ?? 60_000);
    this.writer.unref();
  }

  /**
   * An app destroyed or renamed: its series and its label sets go (its instances' go at the next sample); its
   * minutes not yet written are written first (a rename takes them along; a destroy deletes them with the app).
   */
  forget(app: string): void {
    try { this.flush(true, [app]); } catch (e) { (this.o.log ?? createLogger({ label: 'metrics' })).error('writing the metrics history failed:', e); }
    this.series.forget(app);
    for (const status_class of ['1xx', '2xx', '3xx', '4xx', '5xx']) this.requests.remove({ app, status_class });
    this.duration.remove({ app });
  }

  /** Stops sampling; the minutes so far (the current one too) go to the history. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.writer) clearInterval(this.writer);
    this.timer = this.writer = null;
    try { this.flush(true); } catch (e) { (this.o.log ?? createLogger({ label: 'metrics' })).error('writing the metrics history failed:', e); }
  }
}
