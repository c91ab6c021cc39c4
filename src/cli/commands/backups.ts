// BackupInfo commands: verified backups of an app's databases and storage, restores and a schedule.
import { UserError, type BackupInfo, type BackupScheduleInfo } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import { json, table, time } from '../kit/format.ts';

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

const rowsOf = (r: Record<string, number> | null) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

/** `postgres 1 tables/3 rows ok, volume /data 2 entries ok`. */
export function summary(b: Pick<BackupInfo, 'parts' | 'error'>): string {
  if (b.parts.length === 0) return b.error ?? '-';
  return b.parts.map((p) => {
    const what = p.kind === 'volume' ? `${p.tables ?? 0} entries` : `${p.tables ?? 0} tables/${rowsOf(p.rows)} rows`;
    return `${p.name} ${what} ${p.verified ? 'ok' : 'NOT verified'}`;
  }).join(', ');
}

function details(out: (s: string) => void, b: BackupInfo): void {
  for (const p of b.parts) {
    out(`       ${p.name} (${p.file}, ${bytes(p.size)}, sha256 ${p.sha256.slice(0, 12)}): ${p.verified ? 'verified' : 'not verified'} - ${p.reason}`);
    if (p.rows) for (const [t, n] of Object.entries(p.rows)) out(`         ${t}: ${n} rows${p.restoredRows ? `, ${p.restoredRows[t] ?? 'missing'} restored` : ''}`);
  }
  for (const n of b.notes) out(`       Note: ${n}`);
  if (b.error) out(`       Error: ${b.error}`);
}

const list: Command = {
  name: 'backups',
  aliases: ['backups:list'],
  usage: '<app> [--json]',
  summary: "list an app's backups: id, time, size, status (good / failed / unverified) and what verification found",
  app: true,
  json: true,
  async run(ctx, args) {
    const all = await ctx.client().request<BackupInfo[]>('GET', appPath(args.app, '/backups'));
    if (args.flags.json) return ctx.out(json(all));
    if (all.length === 0) return ctx.out(`${args.app} has no backups; make one with \`minicloud backups:create ${args.app}\``);
    for (const line of table(all.map((b) => [b.id, time(b.createdAt), bytes(b.size), b.status, summary(b)]), ['ID', 'TIME', 'SIZE', 'STATUS', 'VERIFICATION'])) ctx.out(line);
  },
};

const create: Command = {
  name: 'backups:create',
  // Heroku's word (pg:backups:capture), and the one the "backup failed" alert tells people to run.
  aliases: ['backups:capture'],
  usage: '<app>',
  summary: "back up an app's databases and storage now, and verify the dumps by restoring them into a scratch database",
  app: true,
  async run(ctx, args) {
    ctx.out(`Backing up ${args.app}... `, '');
    const b = await ctx.client().request<BackupInfo>('POST', appPath(args.app, '/backups'));
    ctx.out(b.status === 'failed' ? 'failed' : `done: ${b.id} is ${b.status}`);
    details((s) => ctx.out(s), b);
    if (b.status === 'failed') throw new UserError(`backup ${b.id} failed: ${b.error ?? 'no reason given'}`, 'earlier backups are kept');
    if (b.error) throw new UserError(`backup ${b.id} is ${b.status} here, but ${b.error}`, 'check the target with `minicloud backups:target`; the backup on this server can be restored');
  },
};

const restore: Command = {
  name: 'backups:restore',
  usage: '<app> <id>',
  summary: "restore an app's databases and storage from a backup (checksums checked first), then restart it",
  help: 'A backup not on this server is fetched from the off-box target (`minicloud backups:remote <app>` lists them):\non a fresh server, create the app, its add-ons and storage, set the same target, then restore.',
  app: true,
  async run(ctx, args) {
    const [id, extra] = args.rest;
    if (id === undefined) throw new UserError('no backup id given', `usage: minicloud backups:restore ${args.app} <id> (see \`minicloud backups ${args.app}\`)`);
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`);
    ctx.out(`Restoring ${args.app} from ${id}... `, '');
    const r = await ctx.client().request<{ restored: string[]; deploy: { status: string; error: string | null } | null }>(
      'POST', appPath(args.app, `/backups/${encodeURIComponent(id)}/restore`));
    ctx.out(`done: ${r.restored.join(', ')}`);
    if (r.deploy?.status === 'failed') throw new UserError(`the restart failed: ${r.deploy.error ?? 'no reason given'}`, `see \`minicloud logs ${args.app}\``);
    if (r.deploy) ctx.out(`       Restarted ${args.app}`);
  },
};

const schedule: Command = {
  name: 'backups:schedule',
  usage: '<app> [daily|hourly|weekly|off] [--keep N]',
  summary: 'back an app up on a schedule, keeping the newest N good backups (default 7); without a frequency, show it',
  app: true,
  options: { keep: { type: 'string' } },
  async run(ctx, args) {
    const [frequency, extra] = args.rest;
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`);
    const keep = flag(args, 'keep');
    const s = frequency === undefined
      ? await ctx.client().request<BackupScheduleInfo>('GET', appPath(args.app, '/backups/schedule'))
      : await ctx.client().request<BackupScheduleInfo>('PUT', appPath(args.app, '/backups/schedule'), { frequency, ...(keep !== undefined ? { keep } : {}) });
    if (s.frequency === 'off') return ctx.out(`${args.app} has no backup schedule`);
    ctx.out(`${args.app} is backed up ${s.frequency}, keeping ${s.keep} good backup(s); last run: ${time(s.lastRunAt)}`);
  },
};

export const backupCommands: Command[] = [list, create, restore, schedule];
