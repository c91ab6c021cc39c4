// Whether an app runs: apps:stop, apps:start and apps:sleep (idle apps sleep until a request wakes them).
import { UserError, type AppInfo, type Deploy } from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import { duration } from '../kit/format.ts';
import { reportDeploy } from './config.ts';

const stop: Command = {
  name: 'apps:stop',
  usage: '<app>',
  summary: "stop all of an app's instances; its releases and config stay",
  app: true,
  async run(ctx, args) {
    ctx.out(`Stopping ${args.app}... `, '');
    await ctx.client().request<AppInfo>('POST', appPath(args.app, '/stop'));
    ctx.out('done');
    ctx.out(`Start it again with \`minicloud apps:start ${args.app}\``);
  },
};

const start: Command = {
  name: 'apps:start',
  usage: '<app>',
  summary: 'start a stopped or sleeping app on its current release',
  app: true,
  async run(ctx, args) {
    ctx.out(`Starting ${args.app}... `, '');
    const res = await ctx.client().request<{ deploy: Deploy | null }>('POST', appPath(args.app, '/start'));
    return reportDeploy(ctx, res.deploy);
  },
};

const MIN_SLEEP = 60;
const MAX_SLEEP = 7 * 24 * 3600;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600 };
const DURATION_HINT = 'use e.g. 90s, 15m or 2h (a bare number is minutes), or `off` to never sleep';

/** `30s`, `15m`, `2h` or bare minutes, within 1 minute and 7 days; `off`/`never` is null. */
export function parseSleepAfter(raw: string): number | null {
  const text = raw.trim().toLowerCase();
  if (text === 'off' || text === 'never') return null;
  const m = /^(\d{1,9})([smh]?)$/.exec(text);
  if (!m) throw new UserError(`invalid duration ${JSON.stringify(raw)}`, DURATION_HINT);
  const seconds = Number(m[1]) * (UNIT[m[2] || 'm'] ?? 60);
  if (seconds < MIN_SLEEP) {
    throw new UserError(`${JSON.stringify(raw)} is too short: an app sleeps after 1m without requests at the earliest`, DURATION_HINT);
  }
  if (seconds > MAX_SLEEP) {
    throw new UserError(`${JSON.stringify(raw)} is too long: the longest is 7 days (168h)`, 'use `off` to never sleep');
  }
  return seconds;
}

const sleep: Command = {
  name: 'apps:sleep',
  usage: '<app> <duration|off|now>',
  summary: 'let an app sleep after a time without requests (e.g. 15m) until one wakes it; off: never; now: at once',
  app: true,
  async run(ctx, args) {
    const [raw, extra] = args.rest;
    if (raw === undefined) throw new UserError('no duration given', 'usage: minicloud apps:sleep <app> <duration|off>, e.g. 15m');
    if (extra !== undefined) {
      throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, 'usage: minicloud apps:sleep <app> <duration|off>');
    }
    if (raw === 'now') {
      await ctx.client().request<AppInfo>('PUT', appPath(args.app, '/sleep'), { now: true });
      ctx.out(`${args.app} is asleep; its next request wakes it`);
      return;
    }
    const afterSeconds = parseSleepAfter(raw);
    const info = await ctx.client().request<AppInfo>('PUT', appPath(args.app, '/sleep'), { afterSeconds });
    // Printed from the server's answer: the setting that now holds.
    const after = info.sleepAfterSeconds;
    ctx.out(after == null ? `${args.app} never sleeps` : `${args.app} sleeps after ${duration(after)} without requests`);
  },
};

export const lifecycleCommands: Command[] = [stop, start, sleep];
