// The shape every CLI command has, so main.ts can parse, document and dispatch them uniformly.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../../core/index.ts';
import type { Ctx } from './context.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Args {
  /** The validated app name ('' for commands that take none). */
  app: string;
  /** Positionals after the app name. */
  rest: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** Arguments after the command name, for usage lines, e.g. `<app> KEY=value...`. */
  usage: string;
  summary: string;
  /** Takes an app name as first positional or via -a/--app. */
  app?: boolean;
  /** Accepts --json. */
  json?: boolean;
  /**
   * Everything after `--`, or from the first positional after the app on, is passed through
   * verbatim in `rest`, options included (`run app node -e ...`).
   */
  passthrough?: boolean;
  options?: Options;
  /** More about the command, printed by `minicloud help <command>` and `-h` (lines without indent). */
  help?: string;
  run(ctx: Ctx, args: Args): Promise<number | void>;
}

export function appPath(app: string, suffix = ''): string {
  return `/api/apps/${encodeURIComponent(app)}${suffix}`;
}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The one word after the app of a `passthrough` command (which gets everything after the app verbatim
 * in `args.rest`), with its options: `addons:info my-app redis --json`. 'help' when -h was asked (printed).
 */
export function oneArgument(
  ctx: Ctx, args: Args, cmd: Command,
  o: { what: string; note: string; options?: Options; usageSuffix?: string; example?: string },
): { value: string; flags: Args['flags'] } | 'help' {
  const usage = `usage: minicloud ${cmd.name} ${cmd.usage}${o.usageSuffix ? ` ${o.usageSuffix}` : ''}`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: args.rest, options: { ...o.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    if (!(e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw e;
    throw new UserError((e as Error).message.split('\n')[0] ?? 'invalid arguments', usage);
  }
  if (parsed.values.help) {
    ctx.out(`Usage: minicloud ${cmd.name} ${cmd.usage}`);
    ctx.out();
    ctx.out(`  ${cmd.summary}`);
    ctx.out(`  ${o.note}`);
    return 'help';
  }
  const [value, extra] = parsed.positionals;
  if (value === undefined) throw new UserError(`no ${o.what} given`, o.example ? `${usage} ${o.example}` : usage);
  if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, usage);
  return { value, flags: { ...args.flags, ...(parsed.values as Args['flags']) } };
}
