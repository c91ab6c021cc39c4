// An app's own settings and name: apps:set (its deploy branch) and apps:rename.
import { UserError, validateAppName, type AppInfo } from '../../core/index.ts';
import { keyValues } from '../kit/format.ts';
import { moveRemotes } from '../kit/git.ts';
import { appPath, type Command } from '../kit/command.ts';

const SETTINGS = ['branch'];

const set: Command = {
  name: 'apps:set',
  usage: '<app> branch=<name>',
  summary: 'change an app\'s settings: the branch whose pushes deploy it',
  app: true,
  help: [
    'branch: the git branch a push deploys (default main, and master with it, as on Heroku); the GitHub',
    'webhook of `apps:connect` follows it too when connected without --branch.',
  ].join('\n'),
  async run(ctx, args) {
    if (args.rest.length === 0) throw new UserError('no setting given', `e.g. \`minicloud apps:set ${args.app} branch=main\``);
    const body: Record<string, string> = {};
    for (const pair of args.rest) {
      const eq = pair.indexOf('=');
      const key = eq > 0 ? pair.slice(0, eq) : pair;
      if (!SETTINGS.includes(key)) throw new UserError(`unknown app setting ${JSON.stringify(key)}`, `the settings are: ${SETTINGS.join(', ')} (e.g. \`minicloud apps:set ${args.app} branch=main\`)`);
      if (eq < 0) throw new UserError(`${key} needs a value`, `e.g. \`minicloud apps:set ${args.app} ${key}=main\``);
      body[key] = pair.slice(eq + 1);
    }
    const info = await ctx.client().request<AppInfo>('PATCH', appPath(args.app), body);
    ctx.out(`-----> ${info.name} deploys pushes of ${info.deployBranch}${info.deployBranch === 'main' ? ' (or master)' : ''}`);
    ctx.out(`       git push minicloud ${info.deployBranch}`);
  },
};

const maintenance: Command = {
  name: 'maintenance',
  usage: '<app>',
  summary: 'say whether an app is in maintenance mode',
  app: true,
  async run(ctx, args) {
    const info = await ctx.client().request<AppInfo>('GET', appPath(args.app));
    ctx.out(info.maintenance ? 'on' : 'off');
  },
};

function maintenanceSwitch(on: boolean): Command {
  return {
    name: on ? 'maintenance:on' : 'maintenance:off',
    usage: '<app>',
    summary: on ? "answer an app's visitors with a maintenance page (503, Retry-After); the app keeps running" : 'serve an app to its visitors again',
    app: true,
    help: on ? 'Its instances, cron entries and one-offs (`minicloud run`) run on; requests, websockets included, get the page.' : undefined,
    async run(ctx, args) {
      ctx.out(`${on ? 'Enabling' : 'Disabling'} maintenance mode for ${args.app}... `, '');
      await ctx.client().request<AppInfo>(on ? 'PUT' : 'DELETE', appPath(args.app, '/maintenance'));
      ctx.out('done');
    },
  };
}

const rename: Command = {
  name: 'apps:rename',
  usage: '<app> <new name>',
  summary: 'rename an app: its default URL and git remote move; domains, add-ons, config, volumes, logs, releases stay',
  app: true,
  help: [
    'The app restarts under its new name (a short break). Refused while it deploys. Run in a checkout, its',
    'remotes pointing at the app move to the new git URL; elsewhere: `git remote set-url minicloud <new git URL>`.',
  ].join('\n'),
  async run(ctx, args) {
    const [to, extra] = args.rest;
    if (to === undefined) throw new UserError('no new name given', `usage: minicloud apps:rename ${args.app} <new name>`);
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, `usage: minicloud apps:rename ${args.app} <new name>`);
    const name = validateAppName(to);
    ctx.out(`Renaming ${args.app} to ${name}... `, '');
    const info = await ctx.client().request<AppInfo>('POST', appPath(args.app, '/rename'), { name });
    ctx.out('done');
    for (const line of keyValues([['URL', info.url], ['Git URL', info.gitUrl]])) ctx.out(`       ${line}`);
    const oldUrl = `${info.gitUrl.slice(0, info.gitUrl.lastIndexOf('/git/'))}/git/${args.app}.git`;
    const moved = await moveRemotes(ctx.io.cwd, oldUrl, info.gitUrl);
    for (const name of moved) ctx.out(`Git remote ${name} updated`);
    if (moved.length === 0) ctx.out(`Point your checkouts at it: git remote set-url minicloud ${info.gitUrl}`);
  },
};

export const appSettingsCommands: Command[] = [set, rename, maintenance, maintenanceSwitch(true), maintenanceSwitch(false)];
