// App lifecycle commands: list, create, info, destroy, and linking a local repo with git:remote.
import { CRASH_LOOP_RESTARTS, UserError, describeExit, type AppInfo, type Instance } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { ago, duration, json, keyValues, release, table, time } from '../kit/format.ts';
import { currentBranch, insideMinicloudCheckout, insideWorkTree, linkRepo } from '../kit/git.ts';
import { installFromCatalog } from './catalog.ts';
import { createFromCompose } from './compose.ts';

type AppDetail = AppInfo & { instances?: Instance[] };

const list: Command = {
  name: 'apps',
  aliases: ['apps:list'],
  usage: '[--json]',
  summary: 'list your apps',
  json: true,
  async run(ctx, args) {
    const apps = await ctx.client().request<AppInfo[]>('GET', '/api/apps');
    if (args.flags.json) return ctx.out(json(apps));
    if (apps.length === 0) return ctx.out('You have no apps yet. Create one with `minicloud apps:create <name>`.');
    const rows = apps.map((a) => [a.name, release(a.currentRelease), stateOf(a), a.url]);
    for (const line of table(rows, ['NAME', 'RELEASE', 'STATE', 'URL'])) ctx.out(line);
  },
};

/** What an app is doing in a word or two: never deployed apps run nothing, whatever their desired state says. */
export function stateOf(a: AppInfo): string {
  const state = a.currentRelease === null ? 'not deployed' : a.state;
  return a.maintenance ? `${state}, maintenance` : state;
}

const create: Command = {
  name: 'apps:create',
  usage: '<name> [--from <catalog id> [--set KEY=value]...] [--compose <file>]',
  summary: 'create an app; inside a git repo, also add the `minicloud` remote; --from installs a catalog entry, --compose runs a Compose file',
  app: true,
  options: { from: { type: 'string' }, set: { type: 'string', multiple: true }, compose: { type: 'string' } },
  help: [
    'With --from, the app is installed from the catalog (see `minicloud catalog`): its inputs given with',
    '--set KEY=value, its secrets generated, its add-ons, storage and memory limit set up, and its pinned image',
    'released and health-checked. It is an ordinary app afterwards.',
    'With --compose, the Compose file (docker-compose.yml) is checked whole, then its services run on one image as',
    'process types, named volumes become the app\'s volumes, and services marked `x-minicloud: { addon: postgres }`',
    'use minicloud\'s shared servers (see the Compose section of the README).',
  ].join('\n'),
  async run(ctx, args) {
    const { app } = args;
    const from = flag(args, 'from');
    const sets = Array.isArray(args.flags.set) ? args.flags.set : [];
    const compose = flag(args, 'compose');
    if (from && compose) throw new UserError('give --from or --compose, not both');
    if (compose && sets.length) throw new UserError('--set is for --from: the inputs of a catalog entry', 'a Compose file gives its config in environment and env_file; or `minicloud config:set` afterwards');
    if (compose) return createFromCompose(ctx, app, compose);
    if (from) return installFromCatalog(ctx, app, from, sets);
    if (sets.length) throw new UserError('--set is for --from: the inputs of a catalog entry', `use \`minicloud config:set ${app} KEY=value\` for an app's config`);
    const info = await ctx.client().request<AppInfo>('POST', '/api/apps', { name: app });
    ctx.out(`-----> Created ${info.name}`);
    for (const line of keyValues([['URL', info.url], ['Git remote', info.gitUrl]])) ctx.out(`       ${line}`);
    const cwd = ctx.io.cwd;
    const inRepo = await insideWorkTree(cwd);
    const ownCheckout = inRepo && await insideMinicloudCheckout(cwd);
    const branch = pushBranch(info.deployBranch, inRepo && !ownCheckout ? await currentBranch(cwd) : null);
    ctx.out();
    if (inRepo && !ownCheckout) {
      await linkRepo(ctx, 'minicloud', info.gitUrl, true);
      ctx.out(`Deploy with: git push minicloud ${branch}`);
      return;
    }
    ctx.out(ownCheckout ? "This is minicloud's own repository, so no remote was added here. In your app's repository:" : "In your app's git repository, add the remote and push:");
    ctx.out(`  git remote add minicloud ${info.gitUrl}`);
    ctx.out(`  git push minicloud ${branch}`);
    ctx.out('(or run `minicloud git:remote ' + info.name + '` there: it also lets git use your token)');
  },
};

/** What to tell the user to push: the deploy branch, or master where that is the repository's branch and deploys too. */
function pushBranch(deployBranch: string | undefined, current: string | null): string {
  const branch = deployBranch || 'main';
  return branch === 'main' && current === 'master' ? 'master' : branch;
}

const gitRemote: Command = {
  name: 'git:remote',
  usage: '<app> [-r NAME]',
  summary: 'link the current git repo to an app (remote and credential helper)',
  app: true,
  options: { remote: { type: 'string', short: 'r' } },
  async run(ctx, args) {
    const name = flag(args, 'remote') ?? 'minicloud';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new UserError(`invalid remote name ${JSON.stringify(name)}`, 'use letters, digits, dots, dashes and underscores');
    }
    if (!(await insideWorkTree(ctx.io.cwd))) {
      throw new UserError('not inside a git repository', "cd into your app's repository (or run `git init`) first");
    }
    const info = await ctx.client().request<AppInfo>('GET', appPath(args.app));
    await linkRepo(ctx, name, info.gitUrl, false);
    ctx.out(`Deploy with: git push ${name} ${pushBranch(info.deployBranch, await currentBranch(ctx.io.cwd))}`);
  },
};

/** `web.1`, `web.2`, `worker.1`: numbered per process type in the order the server lists them. */
export function instanceNames(instances: Instance[]): string[] {
  const seen = new Map<string, number>();
  return instances.map((i) => {
    const n = (seen.get(i.type) ?? 0) + 1;
    seen.set(i.type, n);
    return `${i.type}.${n}`;
  });
}

/** `up`, `starting`, or for a crashed one when it comes back and whether it keeps crashing. */
export function stateLabel(i: Instance, now = Date.now()): string {
  if (i.state !== 'crashed') return i.state;
  let label = i.lastExit?.cause === 'oom' ? 'crashed: out of memory' : i.lastExit?.cause === 'unhealthy' ? 'restarted: not answering' : 'crashed';
  if (i.nextRestartAt) {
    const s = Math.ceil((new Date(i.nextRestartAt).getTime() - now) / 1000);
    if (s > 0) label += `, restarting in ${s} s`;
    else if (Number.isFinite(s)) label += ', restarting now';
  }
  if (i.restarts >= CRASH_LOOP_RESTARTS) label += ` (crash-looping, ${i.restarts} restarts)`;
  return label;
}

export function instanceLines(instances: Instance[], now = Date.now()): string[] {
  const names = instanceNames(instances);
  const rows = instances.map((i, k) => [
    names[k] ?? i.type,
    stateLabel(i, now),
    release(i.release),
    `port ${i.port}`,
    `since ${time(i.startedAt)} (${ago(i.startedAt)})`,
    `restarts ${i.restarts}${i.lastExit ? ` (last: ${describeExit(i.lastExit)} ${ago(i.lastExit.at)})` : ''}`,
  ]);
  return table(rows);
}

const info: Command = {
  name: 'apps:info',
  usage: '<app> [--json]',
  summary: "show an app's URLs, release, state and instances",
  app: true,
  json: true,
  async run(ctx, args) {
    const app = await ctx.client().request<AppDetail>('GET', appPath(args.app));
    if (args.flags.json) return ctx.out(json(app));
    ctx.out(`=== ${app.name}`);
    const pairs: [string, string][] = [
      ['URL', app.url],
      ['Git URL', app.gitUrl],
      ['Deploy branch', app.deployBranch],
      ['Release', release(app.currentRelease)],
      ['State', stateOf(app)],
      ['Maintenance', app.maintenance ? 'on: visitors get a 503 page (`minicloud maintenance:off`)' : 'off'],
      ['Sleeps after', app.sleepAfterSeconds == null ? 'never' : duration(app.sleepAfterSeconds)],
      ['Created', time(app.createdAt)],
    ];
    for (const line of keyValues(pairs)) ctx.out(line);
    ctx.out();
    printInstances(ctx, app.instances ?? []);
  },
};

export function printInstances(ctx: Ctx, instances: Instance[]): void {
  if (instances.length === 0) return ctx.out('no instances running');
  for (const line of instanceLines(instances)) ctx.out(line);
}

const destroy: Command = {
  name: 'apps:destroy',
  usage: '<app> --confirm <app>',
  summary: 'delete an app, its releases and its instances',
  app: true,
  options: { confirm: { type: 'string' } },
  async run(ctx, args) {
    if (flag(args, 'confirm') !== args.app) {
      throw new UserError(`This deletes ${args.app} and everything it runs`, `run again with \`--confirm ${args.app}\``);
    }
    ctx.out(`Destroying ${args.app}... `, '');
    await ctx.client().request('DELETE', appPath(args.app, `?confirm=${encodeURIComponent(args.app)}`));
    ctx.out('done');
  },
};

export const appCommands: Command[] = [list, create, info, destroy, gitRemote];
