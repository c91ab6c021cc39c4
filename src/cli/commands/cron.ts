// Cron commands: an app's cron entries with their recent runs (cron), and running one now (cron:run).
import { UserError, type CronStatus } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import { ago, json, table } from '../kit/format.ts';
import { cronRunLabel } from './runtime.ts';

/** One run as GET /api/apps/:app/cron/runs lists it. */
interface CronRunInfo { schedule: string; command: string; release: number | null; startedAt: string; finishedAt: string | null; exitCode: number | null }

/** `1.2s`, `3m04s`, or `running`. */
export function took(run: Pick<CronRunInfo, 'startedAt' | 'finishedAt'>): string {
  if (!run.finishedAt) return 'running';
  const s = Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

const outcome = (r: CronRunInfo) => (r.finishedAt === null ? 'running' : r.exitCode === 0 ? 'exit 0' : `failed: exit ${r.exitCode ?? 'unknown'}`);

const list: Command = {
  name: 'cron',
  usage: '<app> [-n 20] [--json]',
  summary: "list an app's cron entries with their last run, and the recent runs (when, how long, exit code)",
  app: true,
  json: true,
  options: { n: { type: 'string', short: 'n' } },
  async run(ctx, args) {
    const raw = flag(args, 'n') ?? '20';
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 200) throw new UserError(`-n must be a whole number from 1 to 200, not ${JSON.stringify(raw)}`);
    const client = ctx.client();
    const [entries, runs] = await Promise.all([
      client.request<CronStatus[]>('GET', appPath(args.app, '/cron')),
      client.request<CronRunInfo[]>('GET', appPath(args.app, `/cron/runs?n=${raw}`)),
    ]);
    if (args.flags.json) return ctx.out(json({ entries, runs }));
    if (entries.length === 0) ctx.out(`${args.app} has no cron entries (add them to cloud_manifest.yml and deploy)`);
    else for (const line of table(entries.map((e) => [e.schedule, e.command, cronRunLabel(e.lastRun)]), ['SCHEDULE', 'COMMAND', 'LAST RUN'])) ctx.out(line);
    if (runs.length === 0) return;
    ctx.out('');
    ctx.out('=== Recent runs');
    for (const line of table(runs.map((r) => [ago(r.startedAt), r.command, took(r), outcome(r), r.release ? `v${r.release}` : '-']), ['STARTED', 'COMMAND', 'TOOK', 'OUTCOME', 'RELEASE'])) ctx.out(line);
  },
};

const runNow: Command = {
  name: 'cron:run',
  usage: '<app> <command> [--schedule "<cron>"]',
  summary: "run one of an app's cron entries now (its output goes to the app's logs)",
  app: true,
  options: { schedule: { type: 'string' } },
  help: 'The command is the entry\'s, as `minicloud cron <app>` lists it (quote it); --schedule picks between two entries with the same command.',
  async run(ctx, args) {
    const command = args.rest.join(' ').trim();
    if (!command) throw new UserError('which entry?', `e.g. \`minicloud cron:run ${args.app} "node report.js"\` (see \`minicloud cron ${args.app}\`)`);
    const client = ctx.client();
    const schedule = flag(args, 'schedule');
    const entries = (await client.request<CronStatus[]>('GET', appPath(args.app, '/cron'))).filter((e) => e.command === command && (!schedule || e.schedule === schedule));
    if (entries.length === 0) throw new UserError(`${args.app} has no cron entry running ${JSON.stringify(command)}${schedule ? ` on "${schedule}"` : ''}`, `see \`minicloud cron ${args.app}\``);
    if (entries.length > 1) throw new UserError(`${entries.length} entries run ${JSON.stringify(command)}`, `pick one with --schedule: ${entries.map((e) => `"${e.schedule}"`).join(' or ')}`);
    const entry = entries[0]!;
    ctx.out(`Running ${command} (${entry.schedule}) on ${args.app}... `, '');
    await client.request('POST', appPath(args.app, '/cron/run'), { schedule: entry.schedule, command });
    ctx.out('started');
    ctx.out(`Its output is in \`minicloud logs ${args.app}\`; \`minicloud cron ${args.app}\` shows how it ended.`);
  },
};

export const cronCommands: Command[] = [list, runNow];
