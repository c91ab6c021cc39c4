// Add-on commands: list, create, show and destroy an app's backing services (databases, queues, Redis).
import { UserError, type AddonInfo, type Deploy } from '../../core/index.ts';
import { appPath, oneArgument, type Args, type Command, type Options } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, keyValues, release, table, time } from '../kit/format.ts';

type AddonKind = AddonInfo['kind'];

export const ADDON_KINDS: readonly AddonKind[] = ['mariadb', 'postgres', 'rabbitmq', 'redis'];
const KINDS_TEXT = ADDON_KINDS.join(', ');

/** Indent of the detail lines under a "Doing x... done" line, as the other commands print them. */
const INDENT = '       ';

/** The kind and the options after it (`addons:info my-app redis --json`); these commands are `passthrough`. */
function kindAndFlags(
  ctx: Ctx, args: Args, cmd: Command, options: Options = {},
): { kind: AddonKind; flags: Args['flags'] } | 'help' {
  const r = oneArgument(ctx, args, cmd, {
    what: 'add-on kind', options, usageSuffix: `(kinds: ${KINDS_TEXT})`,
    note: `Kinds: ${KINDS_TEXT}. The app can also be given with -a/--app <app>.`,
  });
  return r === 'help' ? r : { kind: validateKind(r.value), flags: r.flags };
}

export function validateKind(kind: string): AddonKind {
  if (!(ADDON_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`unknown add-on kind ${JSON.stringify(kind)}`, `use one of: ${KINDS_TEXT}`);
  }
  return kind as AddonKind;
}

const addonPath = (app: string, kind: AddonKind, suffix = '') => appPath(app, `/addons/${encodeURIComponent(kind)}${suffix}`);

/** What the add-on's own space on the shared server is called. */
const DATABASE_LABEL: Record<AddonKind, string> = { postgres: 'Database', mariadb: 'Database', rabbitmq: 'Vhost', redis: 'Key prefix' };

const vars = (keys: string[]) => (keys.length ? keys.join(', ') : '-');

/**
 * Prints the restart an add-on change caused, under its "... done" line. A failed one fails the command:
 * the add-on changed, but the app does not run with the change.
 */
function reportRestart(ctx: Ctx, app: string, deploy: Deploy | null | undefined): number {
  if (!deploy) return 0;
  if (deploy.status === 'failed') {
    ctx.warn(`restarting ${app} failed: ${deploy.error || 'no reason given'}`);
    ctx.warn(`see \`minicloud logs ${app}\` for the app's output`);
    return 1;
  }
  if (deploy.status === 'succeeded' && deploy.release != null) ctx.out(`${INDENT}Restarted ${app} as ${release(deploy.release)}`);
  else if (deploy.status !== 'succeeded') ctx.out(`${INDENT}Restarting ${app} (${deploy.status}); see \`minicloud releases ${app}\``);
  return 0;
}

const list: Command = {
  name: 'addons',
  aliases: ['addons:list'],
  usage: '<app> [--json]',
  summary: "list an app's add-ons (databases, queues, Redis) and the config vars they set",
  app: true,
  json: true,
  async run(ctx, args) {
    const addons = await ctx.client().request<AddonInfo[]>('GET', appPath(args.app, '/addons'));
    if (args.flags.json) return ctx.out(json(addons));
    if (addons.length === 0) {
      ctx.out(`${args.app} has no add-ons`);
      ctx.out(`Add one with \`minicloud addons:create ${args.app} <kind>\` (kinds: ${KINDS_TEXT}).`);
      return;
    }
    const rows = addons.map((a) => [a.kind, a.name, vars(a.envKeys), time(a.createdAt)]);
    for (const line of table(rows, ['KIND', 'NAME', 'CONFIG VARS', 'CREATED'])) ctx.out(line);
  },
};

const create: Command = {
  name: 'addons:create',
  usage: `<app> <kind>`,
  summary: `attach a new ${ADDON_KINDS.join('|')} to an app (sets its config vars, restarts it)`,
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const parsed = kindAndFlags(ctx, args, create);
    if (parsed === 'help') return 0;
    const { kind } = parsed;
    ctx.out(`Creating ${kind} for ${args.app}... `, '');
    const res = await ctx
      .client()
      .request<{ addon: AddonInfo; deploy: Deploy | null }>('POST', appPath(args.app, '/addons'), { kind });
    ctx.out('done');
    ctx.out(`${INDENT}Config vars: ${vars(res.addon.envKeys)}`);
    return reportRestart(ctx, args.app, res.deploy);
  },
};

const info: Command = {
  name: 'addons:info',
  usage: '<app> <kind> [--json]',
  summary: "show one of an app's add-ons",
  app: true,
  json: true,
  passthrough: true,
  async run(ctx, args) {
    const parsed = kindAndFlags(ctx, args, info, { json: { type: 'boolean' } });
    if (parsed === 'help') return 0;
    const { kind, flags } = parsed;
    const addon = await ctx.client().request<AddonInfo>('GET', addonPath(args.app, kind));
    if (flags.json) return ctx.out(json(addon));
    ctx.out(`=== ${addon.app} ${addon.kind}`);
    const pairs: [string, string][] = [
      ['Kind', addon.kind],
      ['Name', addon.name],
      ['Server', addon.server || '-'],
      [DATABASE_LABEL[addon.kind], addon.database ?? addon.name],
      ['User', addon.user ?? addon.name],
      ['Holds', addon.usage ?? `unknown (${addon.usageError ?? 'no answer'})`],
      ['URL', addon.url ? `${addon.url} (password masked; \`minicloud config:get ${addon.app} ${addon.envKeys[0] ?? ''}\` shows it)` : '-'],
      ['Config vars', vars(addon.envKeys)],
      ['Created', time(addon.createdAt)],
    ];
    for (const line of keyValues(pairs)) ctx.out(line);
  },
};

const destroy: Command = {
  name: 'addons:destroy',
  usage: '<app> <kind> --confirm <app>',
  summary: "delete an app's add-on and all its data; its config vars go and the app restarts",
  app: true,
  passthrough: true,
  options: { confirm: { type: 'string' } },
  async run(ctx, args) {
    const parsed = kindAndFlags(ctx, args, destroy, { confirm: { type: 'string' } });
    if (parsed === 'help') return 0;
    const { kind, flags } = parsed;
    if (flags.confirm !== args.app) {
      throw new UserError(
        `This deletes ${args.app}'s ${kind} and all its data`,
        `run again with \`minicloud addons:destroy ${args.app} ${kind} --confirm ${args.app}\``,
      );
    }
    ctx.out(`Destroying ${kind} of ${args.app}... `, '');
    const res = await ctx
      .client()
      .request<{ deploy: Deploy | null } | undefined>('DELETE', addonPath(args.app, kind, `?confirm=${encodeURIComponent(args.app)}`));
    ctx.out('done');
    return reportRestart(ctx, args.app, res?.deploy);
  },
};

export const addonCommands: Command[] = [list, create, info, destroy];
