// Alert commands: list the channels, add a webhook or an e-mail channel (the server's, or an app's with --app), remove
// one, send a test message, and the history of what was sent and how each delivery went.
import { UserError, validateAppName, type AlertChannelInfo, type AlertHistoryInfo, type AlertTestResult } from '../../core/index.ts';
import { appPath, flag, type Args, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, table, time } from '../kit/format.ts';

const APP_OPTION = { app: { type: 'string', short: 'a' } } as const;

/** `--app`, validated (it goes into a URL path), or undefined for the server's channels. */
function appFlag(args: Args): string | undefined {
  const a = flag(args, 'app');
  return a === undefined ? undefined : validateAppName(a);
}

const channelsPath = (app: string | undefined) => (app ? appPath(app, '/alerts') : '/api/alerts');

/** The channel `id` among those the caller may manage (its app decides which route removes or tests it). */
async function findChannel(ctx: Ctx, id: string | undefined, usage: string): Promise<AlertChannelInfo> {
  if (!id || !/^[0-9a-f]{8}$/.test(id)) throw new UserError(id ? `${JSON.stringify(id)} is not a channel id` : 'which channel?', `${usage} (the ID column of \`minicloud alerts\`)`);
  const found = (await ctx.client().request<AlertChannelInfo[]>('GET', '/api/alerts')).find((c) => c.id === id);
  if (!found) throw new UserError(`no alert channel ${id} among those you can see`, 'see `minicloud alerts`');
  return found;
}

const list: Command = {
  name: 'alerts',
  usage: '[--app <app>] [--json]',
  summary: 'list the alert channels: the server\'s and those of the apps you see (webhook URLs masked)',
  options: APP_OPTION,
  json: true,
  async run(ctx, args) {
    const app = appFlag(args);
    const channels = await ctx.client().request<AlertChannelInfo[]>('GET', app ? channelsPath(app) : '/api/alerts');
    if (args.flags.json) return ctx.out(json(channels));
    if (channels.length === 0) {
      return ctx.out(`No alert channels${app ? ` for ${app}` : ''} yet. Add one with \`minicloud alerts:add webhook <url>${app ? ` --app ${app}` : ''}\` or \`alerts:add email <address>\`.`);
    }
    const rows = channels.map((c) => [c.id, c.app ?? '(server)', c.kind, c.format, c.target, time(c.createdAt)]);
    for (const line of table(rows, ['ID', 'APP', 'KIND', 'FORMAT', 'TARGET', 'ADDED'])) ctx.out(line);
  },
};

async function readStdin(ctx: Ctx): Promise<string> {
  let text = '';
  for await (const chunk of ctx.io.stdin) text += String(chunk);
  return text.trim();
}

const add: Command = {
  name: 'alerts:add',
  usage: 'webhook <url> | email <address> [--app <app>] [--format slack|discord|json]',
  summary: 'send alerts to a webhook (Slack, Discord or JSON) or an e-mail address: the server\'s, or one app\'s with --app',
  options: { ...APP_OPTION, format: { type: 'string' }, 'url-stdin': { type: 'boolean' } },
  help: [
    'Server-wide channels get every alert (an admin adds them); an app\'s get that app\'s alerts (its members add them).',
    'The format is detected from the URL (hooks.slack.com: slack, discord.com: discord, else JSON); --format overrides it.',
    'A webhook URL holds its secret: pipe it with --url-stdin to keep it out of your shell history and the process list.',
    'E-mail needs MINICLOUD_SMTP_URL (and MINICLOUD_SMTP_FROM) set on the server.',
  ].join('\n'),
  async run(ctx, args) {
    const [kind, given, extra] = args.rest;
    const usage = `usage: minicloud ${add.name} ${add.usage}`;
    if (kind !== 'webhook' && kind !== 'email') throw new UserError(kind ? `unknown channel kind ${JSON.stringify(kind)}` : 'what kind of channel?', usage);
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, usage);
    const target = args.flags['url-stdin'] && kind === 'webhook' ? await readStdin(ctx) : given;
    if (!target) throw new UserError(`no ${kind === 'webhook' ? 'URL' : 'address'} given`, usage);
    const app = appFlag(args);
    const format = flag(args, 'format');
    const c = await ctx.client().request<AlertChannelInfo>('POST', channelsPath(app), { kind, target, ...(format !== undefined && { format }) });
    ctx.out(`-----> Added alert channel ${c.id}: ${c.kind} ${c.target}${c.kind === 'webhook' ? ` (${c.format})` : ''}, for ${c.app ?? 'the whole server'}`);
    ctx.out(`       Send it a test message with \`minicloud alerts:test ${c.id}\`.`);
  },
};

const remove: Command = {
  name: 'alerts:remove',
  usage: '<id>',
  summary: 'stop sending alerts to a channel (the ID column of `minicloud alerts`)',
  async run(ctx, args) {
    const c = await findChannel(ctx, args.rest[0], `usage: minicloud ${remove.name} ${remove.usage}`);
    await ctx.client().request('DELETE', c.app ? appPath(c.app, `/alerts/${c.id}`) : `/api/alerts/${c.id}`);
    ctx.out(`-----> Removed alert channel ${c.id} (${c.kind} ${c.target})`);
  },
};

const test: Command = {
  name: 'alerts:test',
  usage: '[<id>] [--app <app>]',
  summary: 'send a test alert to one channel, or to each of the server\'s (or an app\'s) channels, and say how it went',
  options: APP_OPTION,
  async run(ctx, args) {
    const id = args.rest[0];
    const app = appFlag(args);
    let path = app ? appPath(app, '/alerts/test') : '/api/alerts/test';
    if (id !== undefined) {
      const c = await findChannel(ctx, id, `usage: minicloud ${test.name} ${test.usage}`);
      path = c.app ? appPath(c.app, `/alerts/${c.id}/test`) : `/api/alerts/${c.id}/test`;
    }
    const results = await ctx.client().request<AlertTestResult[]>('POST', path);
    for (const r of results) ctx.out(r.ok ? `-----> ${r.channel} (${r.target}): sent` : ` !     ${r.channel} (${r.target}): failed: ${r.error}`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

const history: Command = {
  name: 'alerts:history',
  usage: '[--app <app>] [-n <count>] [--json]',
  summary: 'the alerts minicloud sent (or could not), newest first: when, what, to which channel, how it went',
  options: { ...APP_OPTION, n: { type: 'string', short: 'n' } },
  json: true,
  async run(ctx, args) {
    const app = appFlag(args);
    const n = flag(args, 'n') ?? '50';
    const q = `?n=${encodeURIComponent(n)}`;
    const entries = await ctx.client().request<AlertHistoryInfo[]>('GET', app ? `${appPath(app, '/alerts/history')}${q}` : `/api/alerts/history${q}`);
    if (args.flags.json) return ctx.out(json(entries));
    if (entries.length === 0) return ctx.out('No alerts yet.');
    const rows = entries.map((e) => [time(e.at), e.state, e.title, e.channel ?? '-', e.error ? `${e.delivery}: ${e.error}` : e.delivery]);
    for (const line of table(rows, ['WHEN', 'STATE', 'ALERT', 'CHANNEL', 'DELIVERY'])) ctx.out(line);
  },
};

export const alertCommands: Command[] = [list, add, remove, test, history];
