// `metrics <app> [--range 1h|24h|7d]`: the app's last hour (day, week), one row per minute (10 minutes past a day) with traffic.
import type { MinutePoint } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import { json, table } from '../kit/format.ts';

const p = (n: number) => String(n).padStart(2, '0');
const clock = (iso: string, day = false) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${day ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` : ''}${p(d.getHours())}:${p(d.getMinutes())}`;
};
const ms = (n: number | null) => (n === null ? '-' : `${Math.round(n)}ms`);
const num = (n: number | null, unit: string) => (n === null ? '-' : `${n}${unit}`);

/** The table rows of the minutes with traffic, oldest first. */
export function metricsRows(minutes: MinutePoint[], withDay = false): string[][] {
  return minutes.filter((m) => m.requests > 0).map((m) => [
    clock(m.t, withDay), String(m.requests), String(m.statuses?.['4xx'] ?? '-'), String(m.errors),
    ms(m.p50Ms), ms(m.p95Ms), ms(m.p99Ms ?? null), num(m.cpuPercent, '%'), num(m.memoryMb, ' MB'),
  ]);
}

const metrics: Command = {
  name: 'metrics',
  usage: '<app> [--range 1h|24h|7d] [--json]',
  summary: "the app's last hour (--range 24h: day, 7d: week) per minute: requests, 4xx, 5xx, p50/p95/p99 latency, CPU and memory",
  app: true,
  json: true,
  options: { range: { type: 'string', short: 'r' } },
  async run(ctx, args) {
    const range = flag(args, 'range') ?? '1h';
    const res = await ctx.client().request<{ minutes: MinutePoint[] }>('GET', appPath(args.app, `/metrics?range=${encodeURIComponent(range)}`));
    if (args.flags.json) return ctx.out(json(res));
    const rows = metricsRows(res.minutes, range !== '1h');
    if (rows.length === 0) return ctx.out(`${args.app}: no traffic in the last ${range === '1h' ? 'hour' : range}`);
    for (const line of table(rows, ['MINUTE', 'REQUESTS', '4XX', '5XX', 'P50', 'P95', 'P99', 'CPU', 'MEMORY'])) ctx.out(line);
  },
};

export const metricsCommands: Command[] = [metrics];
