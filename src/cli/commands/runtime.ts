// Commands about what runs: rollback, instances (ps, ps:scale) and restart (logs: logs.ts).
import {
  UserError,
  isProcessType,
  type Deploy,
  type Formation,
  type Instance,
  type CronStatus,
  type AppInfo,
} from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import { ago, json, release, table } from '../kit/format.ts';
import { parseVersion } from './releases.ts';
import { printInstances } from './apps.ts';
import { reportDeploy } from './config.ts';

const rollback: Command = {
  name: 'rollback',
  usage: '<app> [vN]',
  summary: 'deploy an earlier release again as a new one (default: the one before the current)',
  app: true,
  async run(ctx, args) {
    const [raw, extra] = args.rest;
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, 'usage: minicloud rollback <app> [vN]');
    const version = raw === undefined ? undefined : parseVersion(raw);
    ctx.out(`Rolling back ${args.app}... `, '');
    const body = version === undefined ? {} : { version };
    const res = await ctx.client().request<{ deploy: Deploy }>('POST', appPath(args.app, '/rollback'), body);
    return reportDeploy(ctx, res.deploy, ` (rolled back to ${version === undefined ? 'the previous release' : release(version)})`);
  },
};

const ps: Command = {
  name: 'ps',
  usage: '<app> [--json]',
  summary: "list an app's process types with their scale, and its instances",
  app: true,
  json: true,
  async run(ctx, args) {
    const client = ctx.client();
    if (args.flags.json) return ctx.out(json(await client.request<Instance[]>('GET', appPath(args.app, '/ps'))));
    const [formation, list, cron, app, status] = await Promise.all([
      client.request<Formation>('GET', appPath(args.app, '/formation')),
      client.request<Instance[]>('GET', appPath(args.app, '/ps')),
      // An older server has no cron: ps still shows the instances.
      client.request<unknown>('GET', appPath(args.app, '/cron')).catch(() => null),
      client.request<AppInfo>('GET', appPath(args.app)).catch(() => null),
      client.request<{ runtime?: string }>('GET', '/api/status').catch(() => null),
    ]);
    // On a swarm an app with storage is pinned to the node holding it: said below its instances.
    const storage = status?.runtime === 'swarm' ? await client.request<Array<{ path: string }>>('GET', appPath(args.app, '/storage')).catch(() => null) : null;
    if (status?.runtime === 'swarm') ctx.out('Runtime: Docker Swarm (each instance a service; `minicloud nodes` lists the nodes)');
    if (app?.maintenance) ctx.out(`Maintenance mode is on: visitors get a 503 page; turn it off with \`minicloud maintenance:off ${args.app}\``);
    const types = Object.entries(formation ?? {});
    if (types.length > 0) ctx.out(`=== ${types.map(([type, n]) => `${type} (${n})`).join(', ')}`);
    printInstances(ctx, list);
    if (storage?.length) {
      const hosts = [...new Set(list.map((i) => i.host))];
      ctx.out(`Pinned to the node holding its storage (${storage.map((v) => v.path).join(', ')})${hosts.length ? `: ${hosts.join(', ')}` : ''}; deploys stop it before starting the new release`);
    }
    const entries = Array.isArray(cron) ? cron.filter(isCronStatus) : [];
    if (entries.length > 0) for (const line of table(entries.map((e) => ['cron', e.schedule, e.command, cronRunLabel(e.lastRun)]))) ctx.out(line);
  },
};

const isCronStatus = (v: unknown): v is CronStatus =>
  typeof v === 'object' && v !== null && typeof (v as CronStatus).schedule === 'string' && typeof (v as CronStatus).command === 'string';

/** `last run 2m ago: exit 0`, `last run 2m ago: failed: exit 2`, `running since 10s ago` or `never ran`. */
export function cronRunLabel(run: CronStatus['lastRun'], now = Date.now()): string {
  if (!run) return 'never ran';
  if (run.finishedAt === null) return `running since ${ago(run.startedAt, now)}`;
  if (run.exitCode === 0) return `last run ${ago(run.startedAt, now)}: exit 0`;
  return `last run ${ago(run.startedAt, now)}: failed: exit ${run.exitCode ?? 'unknown'}`;
}

const SCALE_USAGE = 'usage: minicloud ps:scale <app> type=N [type2=M ...], e.g. web=2 worker=1';

/** `web=3 worker=1` into { web: 3, worker: 1 }, naming the first bad argument. */
export function parseScale(argv: string[]): Formation {
  if (argv.length === 0) throw new UserError('no process types given', SCALE_USAGE);
  const formation: Formation = {};
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new UserError(`expected type=N, got ${JSON.stringify(arg)}`, SCALE_USAGE);
    const type = arg.slice(0, eq);
    const count = arg.slice(eq + 1);
    if (!isProcessType(type)) {
      throw new UserError(
        `invalid process type ${JSON.stringify(type)} in ${JSON.stringify(arg)}`,
        'process types are lowercase letters, digits, - and _, starting with a letter (e.g. web)',
      );
    }
    if (!/^\d{1,3}$/.test(count) || Number(count) > 100) {
      throw new UserError(`invalid instance count ${JSON.stringify(count)} in ${JSON.stringify(arg)}`, 'use a whole number from 0 to 100');
    }
    if (type in formation) throw new UserError(`${type} is given twice`, SCALE_USAGE);
    formation[type] = Number(count);
  }
  return formation;
}

const scale: Command = {
  name: 'ps:scale',
  usage: '<app> type=N [type2=M ...]',
  summary: 'set how many instances of each process type run (0 stops a type)',
  app: true,
  async run(ctx, args) {
    const wanted = parseScale(args.rest);
    ctx.out(`Scaling ${args.app}... `, '');
    const res = await ctx
      .client()
      .request<{ formation: Formation; instances: Instance[] }>('PATCH', appPath(args.app, '/formation'), wanted);
    ctx.out('done');
    ctx.out(Object.entries(res.formation).map(([type, n]) => `${type}=${n}`).join(' '));
  },
};

const restart: Command = {
  name: 'restart',
  usage: '<app>',
  summary: "restart an app's instances on its current release",
  app: true,
  async run(ctx, args) {
    ctx.out(`Restarting ${args.app}... `, '');
    const res = await ctx.client().request<{ deploy: Deploy }>('POST', appPath(args.app, '/restart'));
    return reportDeploy(ctx, res.deploy);
  },
};

export const runtimeCommands: Command[] = [rollback, ps, scale, restart];
