// Preview apps per branch: previews (list), previews:enable (which branches, how long), previews:disable.
import { UserError, type PreviewsInfo } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { duration, json, table, time } from '../kit/format.ts';

const UNIT: Record<string, number> = { m: 60, h: 3600, d: 86400 };
const EXPIRE_HINT = 'use e.g. 12h, 7d or 30m (at most 365d), or `never`';

/** `7d`, `12h`, `30m`, or `never` (null). */
export function parseExpire(raw: string): number | null {
  const text = raw.trim().toLowerCase();
  if (text === 'never' || text === 'off') return null;
  const m = /^(\d{1,6})([mhd])$/.exec(text);
  if (!m) throw new UserError(`invalid expiry ${JSON.stringify(raw)}`, EXPIRE_HINT);
  const seconds = Number(m[1]) * UNIT[m[2]!]!;
  if (seconds < 60 || seconds > 365 * 86400) throw new UserError(`${JSON.stringify(raw)} is out of range`, EXPIRE_HINT);
  return seconds;
}

function print(ctx: Ctx, app: string, p: PreviewsInfo): void {
  if (!p.enabled) ctx.out(`Previews of ${app} are off${p.previews.length ? '; those below stay until their branch is deleted' : ''}`);
  else ctx.out(`Previews of ${app}: branches ${p.branches}, ${p.expireSeconds ? `destroyed after ${duration(p.expireSeconds)} without a push` : 'kept until their branch is deleted'}`);
  if (p.previews.length === 0) return ctx.out('No previews yet: push a matching branch (`git push minicloud feature/x`)');
  for (const line of table(p.previews.map((v) => [v.app, v.branch, v.url, time(v.pushedAt)]), ['APP', 'BRANCH', 'URL', 'LAST PUSH'])) ctx.out(line);
}

const list: Command = {
  name: 'previews',
  usage: '<app> [--json]',
  summary: "an app's preview settings and its preview apps",
  app: true,
  json: true,
  async run(ctx, args) {
    const p = await ctx.client().request<PreviewsInfo>('GET', appPath(args.app, '/previews'));
    if (args.flags.json) return ctx.out(json(p));
    print(ctx, args.app, p);
  },
};

const enable: Command = {
  name: 'previews:enable',
  usage: "<app> [--branches 'feature/*'] [--expire 7d]",
  summary: 'give each pushed branch matching the pattern a preview app <app>-<branch>, with its own add-ons',
  app: true,
  options: { branches: { type: 'string' }, expire: { type: 'string' } },
  help: [
    'A push of a matching branch (`git push minicloud feature/x`) makes or updates the app <app>-<branch> at its',
    'own URL: the parent\'s config vars, except those of its add-ons, and add-ons of its own (empty databases);',
    'never its domains. Deleting the branch (`git push minicloud :feature/x`) destroys the preview and all it made.',
    '--branches: * any run without /, ** any run (default: every branch but the deploy branch). --expire: destroyed',
    'after so long without a push. Previews sleep after 15 minutes without requests; MINICLOUD_MAX_PREVIEWS caps them.',
  ].join('\n'),
  async run(ctx, args) {
    const raw = flag(args, 'expire');
    const body = { branches: flag(args, 'branches') ?? '*', expireSeconds: raw === undefined ? null : parseExpire(raw) };
    print(ctx, args.app, await ctx.client().request<PreviewsInfo>('PUT', appPath(args.app, '/previews'), body));
  },
};

const disable: Command = {
  name: 'previews:disable',
  usage: '<app>',
  summary: 'make no more previews (those there are stay until their branch is deleted)',
  app: true,
  async run(ctx, args) {
    print(ctx, args.app, await ctx.client().request<PreviewsInfo>('DELETE', appPath(args.app, '/previews')));
  },
};

export const previewCommands: Command[] = [list, enable, disable];
