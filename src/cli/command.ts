// The shape every CLI command has, so main.ts can parse, document and dispatch them uniformly.
import type { ParseArgsConfig } from 'node:util';
import type { Ctx } from './context.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Args {
  /** The validated app name ('' for commands that take none). */
  app: string;
  /** Positionals after the app name. */
  rest: string[];
  flags: Record<string, string | boolean | undefined>;
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
  run(ctx: Ctx, args: Args): Promise<number | void>;
}

export function appPath(app: string, suffix = ''): string {
  return `/api/apps/${encodeURIComponent(app)}${suffix}`;
}

export function flag(args: Args, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}
