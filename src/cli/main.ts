// CLI entry: finds the command, parses its arguments, runs it and renders errors; returns the exit code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError, validateAppName } from '../core/index.ts';
import type { Args, Command, Options } from './kit/command.ts';
import { addonCommands } from './commands/addons.ts';
import { appCommands } from './commands/apps.ts';
import { appSettingsCommands } from './commands/app-settings.ts';
import { authCommands } from './commands/auth.ts';
import { configCommands } from './commands/config.ts';
import { domainCommands } from './commands/domains.ts';
import { certCommands } from './commands/certs.ts';
import { lifecycleCommands } from './commands/lifecycle.ts';
import { githubCommands } from './commands/github.ts';
import { runCommands } from './commands/run.ts';
import { storageCommands } from './commands/storage.ts';
import { catalogCommands } from './commands/catalog.ts';
import { backupCommands } from './commands/backups.ts';
import { offBoxCommands } from './commands/backups-offbox.ts';
import { diskCommands } from './commands/disk.ts';
import { nodeCommands } from './commands/nodes.ts';
import { serverCommands } from './commands/server.ts';
import { runtimeCommands } from './commands/runtime.ts';
import { cronCommands } from './commands/cron.ts';
import { releaseCommands } from './commands/releases.ts';
import { previewCommands } from './commands/previews.ts';
import { metricsCommands } from './commands/metrics.ts';
import { resourcesCommands } from './commands/resources.ts';
import { routerCommands } from './commands/router.ts';
import { deployCommands } from './commands/deploy.ts';
import { logsCommands } from './commands/logs.ts';
import { accessCommands } from './commands/access.ts';
import { userCommands } from './commands/users.ts';
import { alertCommands } from './commands/alerts.ts';
import { createCtx, defaultIo, renderError, type Ctx, type Io } from './kit/context.ts';
import { columns, wrap } from './kit/format.ts';

/** Help fits a terminal of 100 columns. */
const HELP_WIDTH = 100;

export const commands: Command[] = [
  ...authCommands,
  ...appCommands,
  ...appSettingsCommands,
  ...lifecycleCommands,
  ...githubCommands,
  ...configCommands,
  ...addonCommands,
  ...domainCommands,
  ...certCommands,
  ...storageCommands,
  ...catalogCommands,
  ...backupCommands,
  ...offBoxCommands,
  ...diskCommands,
  ...nodeCommands,
  ...serverCommands,
  ...releaseCommands,
  ...previewCommands,
  ...runtimeCommands,
  ...cronCommands,
  ...logsCommands,
  ...metricsCommands,
  ...resourcesCommands,
  ...routerCommands,
  ...deployCommands,
  ...runCommands,
  ...accessCommands,
  ...userCommands,
  ...alertCommands,
];

/** Commands that take positionals beyond the app name. */
const TAKES_MORE = new Set(['apps:set', 'certs:add', 'apps:rename', 'catalog:info', 'login', 'releases:info', 'releases:diff', 'config', 'config:set', 'config:unset', 'git:credential', 'rollback', 'ps:scale', 'cron:run', 'apps:sleep', 'storage:add', 'storage:remove', 'backups:restore', 'backups:schedule', 'backups:target', 'backups:download', 'tokens:create', 'tokens:revoke', 'users:add', 'users:set', 'users:remove', 'sessions:end', 'backup', 'restore', 'alerts:add', 'alerts:remove', 'alerts:test', 'nodes:drain', 'nodes:activate', 'nodes:remove']);

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const ctx = createCtx(io);
  try {
    return await dispatch(ctx, argv);
  } catch (e) {
    // Close a "Doing x... " line so the error does not land in its middle.
    if (ctx.partial()) ctx.out('failed');
    renderError(io, e);
    return 1;
  }
}

async function dispatch(ctx: Ctx, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? find(rest[0]) : undefined;
    if (topic) printUsage(ctx, topic);
    else printHelp(ctx);
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.out(`minicloud ${version()}`);
    return 0;
  }
  const cmd = find(name);
  if (!cmd) throw new UserError(`unknown command ${JSON.stringify(name)}`, 'run `minicloud help` to see the commands');
  const args = parse(cmd, rest);
  if (args === 'help') {
    printUsage(ctx, cmd);
    return 0;
  }
  return (await cmd.run(ctx, args)) ?? 0;
}

function find(name: string): Command | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

function usageLine(cmd: Command): string {
  return `minicloud ${cmd.name}${cmd.usage ? ` ${cmd.usage}` : ''}`;
}

/**
 * For a passthrough command, splits argv into our own options and app (head) and the words passed on
 * (tail): at a `--`, or else at the first positional that is not the app name.
 */
function splitPassthrough(cmd: Command, options: Options, argv: string[]): [string[], string[]] {
  const shorts = new Map(Object.entries(options).map(([name, o]) => [o.short, name]));
  let needApp = Boolean(cmd.app);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return [argv.slice(0, i), argv.slice(i + 1)];
    if (arg.startsWith('-') && arg !== '-') {
      // --name=value, --name [value], -x [value] or -xvalue
      const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] ?? '' : (shorts.get(arg[1]) ?? '');
      if (name === 'app') needApp = false;
      const inline = arg.startsWith('--') ? arg.includes('=') : arg.length > 2;
      if (options[name]?.type === 'string' && !inline) i++;
    } else if (needApp) {
      needApp = false;
    } else {
      return [argv.slice(0, i), argv.slice(i)];
    }
  }
  return [argv, []];
}

function parse(cmd: Command, argv: string[]): Args | 'help' {
  const options: Options = { ...cmd.options, help: { type: 'boolean', short: 'h' } };
  if (cmd.app) options.app = { type: 'string', short: 'a' };
  if (cmd.json) options.json = { type: 'boolean' };
  let passed: string[] = [];
  if (cmd.passthrough) [argv, passed] = splitPassthrough(cmd, options, argv);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!code?.startsWith('ERR_PARSE_ARGS')) throw e;
    throw new UserError((e as Error).message.split('\n')[0] ?? 'invalid arguments', `usage: ${usageLine(cmd)}`);
  }
  const flags = parsed.values as Args['flags'];
  if (flags.help) return 'help';
  const positionals = [...parsed.positionals];
  let app = '';
  if (cmd.app) {
    const given = typeof flags.app === 'string' ? flags.app : positionals.shift();
    if (given === undefined) {
      throw new UserError('missing app name', `usage: ${usageLine(cmd)} (or pass the app with -a <app>)`);
    }
    // Checked before any request: the name ends up in a URL path.
    app = validateAppName(given);
  }
  if (!TAKES_MORE.has(cmd.name) && positionals.length > 0) {
    throw new UserError(`unexpected argument ${JSON.stringify(positionals[0])}`, `usage: ${usageLine(cmd)}`);
  }
  return { app, rest: [...positionals, ...passed], flags };
}

function printUsage(ctx: Ctx, cmd: Command): void {
  for (const [i, line] of wrap(`Usage: ${usageLine(cmd)}`, HELP_WIDTH).entries()) ctx.out(i ? `         ${line}` : line);
  ctx.out();
  for (const line of wrap(cmd.summary, HELP_WIDTH - 2)) ctx.out(`  ${line}`);
  if (cmd.aliases?.length) ctx.out(`  alias: ${cmd.aliases.join(', ')}`);
  if (cmd.app) ctx.out('  The app can also be given with -a/--app <app>.');
  if (cmd.help) {
    ctx.out();
    for (const para of cmd.help.split('\n')) for (const line of wrap(para, HELP_WIDTH - 2)) ctx.out(`  ${line}`);
  }
}

function printHelp(ctx: Ctx): void {
  ctx.out('Usage: minicloud <command> [arguments]');
  ctx.out();
  ctx.out('Commands:');
  const rows: [string, string][] = commands.map((c) => [`  ${c.name}${c.usage ? ` ${c.usage}` : ''}`, c.summary]);
  rows.push(['  help [command]', 'show this help, or the usage of one command']);
  rows.push(['  --version', 'print the CLI version']);
  for (const line of columns(rows, HELP_WIDTH)) ctx.out(line);
  ctx.out();
  ctx.out('Aliases: apps:list = apps, config:get = config. Commands taking <app> also accept -a/--app <app>.');
  ctx.out('Server and token come from MINICLOUD_URL and MINICLOUD_TOKEN, or from what `minicloud login` saved');
  ctx.out('(default server http://localhost:7080).');
}

/** From the checkout's package.json, or (the CLI installed from a server's /cli.tgz) the package's own beside it. */
function version(): string {
  for (const file of ['../../package.json', './package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as { version?: string };
      if (pkg.version) return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return 'unknown';
}
