// Commands about what runs: releases, instances (ps), restart and logs.
import { UserError, type Deploy, type Instance, type LogEvent, type ReleaseSummary } from '../../core/index.ts';
import { appPath, flag, type Command } from '../command.ts';
import { json, release, table, time } from '../format.ts';
import { printInstances } from './apps.ts';
import { reportDeploy } from './config.ts';

const releases: Command = {
  name: 'releases',
  usage: '<app> [--json]',
  summary: "list an app's releases, newest first",
  app: true,
  json: true,
  async run(ctx, args) {
    const list = await ctx.client().request<ReleaseSummary[]>('GET', appPath(args.app, '/releases'));
    if (args.flags.json) return ctx.out(json(list));
    if (list.length === 0) return ctx.out(`${args.app} has no releases yet; push to deploy it`);
    const rows = list.map((r) => [
      release(r.version) + (r.current ? ' (current)' : ''),
      r.status,
      r.description,
      r.commit ? r.commit.slice(0, 7) : '-',
      time(r.createdAt),
    ]);
    for (const line of table(rows, ['VERSION', 'STATUS', 'DESCRIPTION', 'COMMIT', 'CREATED'])) ctx.out(line);
  },
};

const ps: Command = {
  name: 'ps',
  usage: '<app> [--json]',
  summary: "list an app's running instances",
  app: true,
  json: true,
  async run(ctx, args) {
    const list = await ctx.client().request<Instance[]>('GET', appPath(args.app, '/ps'));
    if (args.flags.json) return ctx.out(json(list));
    printInstances(ctx, list);
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

const logs: Command = {
  name: 'logs',
  usage: '<app> [--build] [-f|--follow] [-n|--lines N]',
  summary: "show an app's output, or its latest build log with --build",
  app: true,
  options: {
    build: { type: 'boolean' },
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
  },
  async run(ctx, args) {
    const query = new URLSearchParams();
    if (args.flags.build) query.set('build', '1');
    const lines = flag(args, 'lines');
    if (lines !== undefined) {
      if (!/^\d+$/.test(lines)) throw new UserError(`--lines must be a whole number, got ${JSON.stringify(lines)}`);
      query.set('lines', lines);
    }
    if (args.flags.follow) query.set('follow', '1');
    const qs = query.toString() ? `?${query}` : '';
    for await (const event of ctx.client().stream<LogEvent>(appPath(args.app, `/logs${qs}`))) {
      if (event.type === 'line') {
        ctx.out(event.text, event.text.endsWith('\n') ? '' : '\n');
      } else if (event.type === 'end') {
        if (event.status === 'failed') {
          ctx.warn(`build failed${event.error ? `: ${event.error}` : ''}`);
          return 1;
        }
        // The build's own log lines already announce the release; nothing to add on success.
        return 0;
      }
    }
    return 0;
  },
};

export const runtimeCommands: Command[] = [releases, ps, restart, logs];
