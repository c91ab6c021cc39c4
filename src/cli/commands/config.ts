// Config var commands: show, set and unset an app's environment (set/unset restart it).
import { UserError, validateConfigKey, type Deploy, type PreviewsInfo } from '../../core/index.ts';
import { appPath, flag, type Args, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { parseDotenv } from '../kit/dotenv.ts';
import { readNamedFile } from '../kit/files.ts';
import { json, keyValues, release } from '../kit/format.ts';

const get: Command = {
  name: 'config',
  aliases: ['config:get'],
  usage: '<app> [KEY] [--json]',
  summary: "show an app's config vars, or print one value raw",
  app: true,
  json: true,
  async run(ctx, args) {
    const key = args.rest[0];
    if (key !== undefined) validateConfigKey(key);
    const vars = await ctx.client().request<Record<string, string>>('GET', appPath(args.app, '/config'));
    if (key !== undefined) {
      const value = vars[key];
      if (value === undefined) throw new UserError(`${key} is not set on ${args.app}`, `run \`minicloud config ${args.app}\` to list them`);
      return ctx.out(args.flags.json ? json(value) : value);
    }
    if (args.flags.json) return ctx.out(json(vars));
    const keys = Object.keys(vars).sort();
    if (keys.length === 0) return ctx.out(`${args.app} has no config vars`);
    ctx.out(`=== ${args.app} config vars`);
    for (const line of keyValues(keys.map((k) => [k, vars[k] ?? '']))) ctx.out(line);
  },
};

function englishList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Sends the change and reports the restart it caused; never prints values, which may be secrets. */
async function change(ctx: Ctx, args: Args, verb: string, body: Record<string, string | null>): Promise<number> {
  ctx.out(`${verb} ${englishList(Object.keys(body))} and restarting ${args.app}... `, '');
  const res = await ctx
    .client()
    .request<{ config: Record<string, string>; deploy: Deploy | null }>('PATCH', appPath(args.app, '/config'), body);
  const code = reportDeploy(ctx, res.deploy);
  if (code !== 0) ctx.warn(`the config vars were left as they were (see \`minicloud config ${args.app}\`)`);
  return code;
}

/** A change of the config only previews get: no restart (previews made from now on get it); never prints values. */
async function previewChange(ctx: Ctx, args: Args, verb: string, body: Record<string, string | null>): Promise<number> {
  const res = await ctx.client().request<PreviewsInfo>('PATCH', appPath(args.app, '/previews/config'), body);
  ctx.out(`${verb} ${englishList(Object.keys(body))} for ${args.app}'s previews; new previews get them`);
  ctx.out(`Preview-only config vars: ${res.configKeys.join(', ') || 'none'}`);
  return 0;
}

/** Finishes a "... " line with the outcome of a restart (plus `note`); a failed one is a failed command. */
export function reportDeploy(ctx: Ctx, deploy: Deploy | null | undefined, note = ''): number {
  if (deploy?.status === 'failed') {
    ctx.out('failed');
    ctx.warn(deploy.error || 'the restart failed');
    ctx.warn(`see \`minicloud logs ${deploy.app}\` for the app's output`);
    return 1;
  }
  ctx.out((deploy?.release != null ? `done, ${release(deploy.release)}` : 'done') + note);
  return 0;
}

function usage(cmd: string, what: string): UserError {
  return new UserError(`no config vars given`, `usage: minicloud ${cmd} <app> ${what}`);
}

const set: Command = {
  name: 'config:set',
  usage: '<app> [--preview] [KEY=value ...] [--file .env]',
  summary: 'set config vars (given, or read from a .env file) and restart the app (--preview: vars only its preview apps get)',
  app: true,
  options: { file: { type: 'string', short: 'f' }, preview: { type: 'boolean' } },
  help: [
    '--file reads a .env file (dotenv syntax: # comments, `export KEY=value`, single quotes literal, double',
    'quotes with \\n escapes, quoted values over several lines); KEY=value arguments override it. The values',
    'are never printed; a bad line is named by its number. `--file -` reads standard input.',
  ].join('\n'),
  async run(ctx, args) {
    const file = flag(args, 'file');
    if (args.rest.length === 0 && file === undefined) throw usage('config:set', 'KEY=value [KEY2=value2 ...] (or --file .env)');
    const body: Record<string, string> = file === undefined ? {} : await readEnvFile(ctx, file);
    for (const arg of args.rest) {
      const eq = arg.indexOf('=');
      if (eq < 0) {
        // Name the argument but not its content past 20 characters: it may be a pasted secret.
        const shown = arg.length > 20 ? `${arg.slice(0, 20)}…` : arg;
        throw new UserError(`expected KEY=value, got ${JSON.stringify(shown)}`, 'e.g. `minicloud config:set my-app NODE_ENV=production`');
      }
      body[validateConfigKey(arg.slice(0, eq))] = arg.slice(eq + 1);
    }
    if (Object.keys(body).length === 0) throw new UserError(`${file} sets no config vars`, 'each line of a .env file is KEY=value');
    return args.flags.preview ? previewChange(ctx, args, 'Set', body) : change(ctx, args, 'Setting', body);
  },
};

const MAX_ENV_FILE = 1024 * 1024;

/** The vars a .env file (or `-`, standard input) sets. */
async function readEnvFile(ctx: Ctx, file: string): Promise<Record<string, string>> {
  let text: string;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c));
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    text = await readNamedFile(ctx, file, 'give the path of a .env file, e.g. --file .env', MAX_ENV_FILE,
      () => new UserError(`${file} is larger than 1 MiB`, 'a .env file holds KEY=value lines; config vars take at most 32 KiB in all'));
  }
  return parseDotenv(text, file === '-' ? 'standard input' : file);
}

const unset: Command = {
  name: 'config:unset',
  usage: '<app> [--preview] KEY [KEY2 ...]',
  summary: 'remove config vars and restart the app (--preview: from those only its preview apps get)',
  app: true,
  options: { preview: { type: 'boolean' } },
  async run(ctx, args) {
    if (args.rest.length === 0) throw usage('config:unset', 'KEY [KEY2 ...]');
    const body: Record<string, null> = {};
    for (const key of args.rest) body[validateConfigKey(key)] = null;
    return args.flags.preview ? previewChange(ctx, args, 'Unset', body) : change(ctx, args, 'Unsetting', body);
  },
};

export const configCommands: Command[] = [get, set, unset];
