// Secrets a command needs (tokens, registry passwords): from standard input or the environment, which stay out of
// shell history and the process list; a secret given as a flag still works, with a warning saying so.
import { UserError } from '../../core/index.ts';
import type { Args } from './command.ts';
import type { Ctx } from './context.ts';

export interface SecretSource {
  /** The flag that takes the secret itself (`token` for --token); `<flag>-stdin` reads it from standard input. */
  flag: string;
  /** The environment variable read when neither flag is given ('' for none). */
  env: string;
  /** What it is, for messages: "GitHub token". */
  what: string;
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) text += String(chunk);
  return text;
}

/** The secret, or undefined when none was given in any of the three ways. */
export async function secretInput(ctx: Ctx, args: Args, s: SecretSource): Promise<string | undefined> {
  if (args.flags[`${s.flag}-stdin`]) {
    const value = (await readAll(ctx.io.stdin)).trim();
    if (!value) throw new UserError(`--${s.flag}-stdin read no ${s.what} from standard input`, `e.g. \`printf %s "$SECRET" | minicloud ... --${s.flag}-stdin\``);
    return value;
  }
  const given = args.flags[s.flag];
  if (typeof given === 'string') {
    ctx.warn(`--${s.flag} leaves the ${s.what} in your shell history and the process list; pipe it with --${s.flag}-stdin${s.env ? ` or set ${s.env}` : ''}`);
    return given;
  }
  return (s.env && ctx.io.env[s.env]) || undefined;
}
