// Disk hygiene: `df` (what uses the data directory's disk, per app) and `prune` (what no release needs any more).
import { UserError, type DiskUsageInfo, type PruneReportInfo, type PruneRequest } from '../../core/index.ts';
import type { Command } from '../kit/command.ts';
import { json, table } from '../kit/format.ts';
import { bytes } from './backups.ts';

const df: Command = {
  name: 'df',
  usage: '[--json]',
  summary: "what uses the server's disk per app (git, builds, build cache, storage, backups, logs), and how much is free",
  json: true,
  async run(ctx, args) {
    const u = await ctx.client().request<DiskUsageInfo>('GET', '/api/disk');
    if (args.flags.json) return ctx.out(json(u));
    const pct = (n: number) => `${((n / Math.max(1, u.total)) * 100).toFixed(1)}%`;
    ctx.out(`${u.dataDir}: ${bytes(u.free)} free of ${bytes(u.total)} (${pct(u.free)}); builds and backups need ${bytes(u.needed)} free (MINICLOUD_MIN_FREE)`);
    const images = u.imagesCounted; // Docker: the images' unique size, on the engine's disk
    const rows = u.apps.map((a) => [a.exists ? a.app : `${a.app} (destroyed)`, bytes(a.repo), bytes(a.builds), ...(images ? [bytes(a.images)] : []), bytes(a.cache), bytes(a.volumes), bytes(a.backups), bytes(a.logs), bytes(a.total)]);
    if (rows.length) for (const line of table(rows, ['APP', 'GIT', 'BUILDS', ...(images ? ['IMAGES'] : []), 'CACHE', 'STORAGE', 'BACKUPS', 'LOGS', 'TOTAL'])) ctx.out(line);
    ctx.out(`Pushed archives waiting for a build: ${bytes(u.sources)}; minicloud's own files (database, Redis, certificates): ${bytes(u.other)}`);
    if (u.free < u.needed) ctx.out('Below the floor: builds and backups refuse to start. Free space with `minicloud prune`.');
  },
};

function report(out: (s: string) => void, r: PruneReportInfo): void {
  const verb = r.dryRun ? 'Would remove' : 'Removed';
  for (const x of r.items) out(`${verb} ${x.what} ${x.path} (${bytes(x.bytes)}): ${x.why}`);
  for (const x of r.dangling) out(`Kept storage ${x.path} (${bytes(x.bytes)}): ${x.why}; \`minicloud prune --volumes\` removes it`);
  out(`${r.dryRun ? 'Would free' : 'Freed'} ${bytes(r.freed)}; ${bytes(r.free)} free now`);
}

const prune: Command = {
  name: 'prune',
  usage: '[--dry-run] [--volumes] [--keep-caches]',
  summary: "remove what no kept release needs: old builds and images, build caches, leftover pushed archives, git garbage, the swarm registry's garbage",
  help: "Kept: every release's build or image that restarts and rollbacks use (the newest 10), running deploys' files.\nStorage of destroyed apps or removed volumes is listed, and removed only with --volumes.\nBuild caches go (the next build downloads again); with --keep-caches, as in the daily prune, only those unused 7 days.",
  options: { 'dry-run': { type: 'boolean' }, volumes: { type: 'boolean' }, 'keep-caches': { type: 'boolean' } },
  async run(ctx, args) {
    if (args.rest.length) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[0])}`, `usage: minicloud prune ${prune.usage}`);
    const body: PruneRequest = { dryRun: Boolean(args.flags['dry-run']), volumes: Boolean(args.flags.volumes), caches: args.flags['keep-caches'] ? 'stale' : 'all' };
    report((s) => ctx.out(s), await ctx.client().request<PruneReportInfo>('POST', '/api/prune', body));
  },
};

export const diskCommands: Command[] = [df, prune];
