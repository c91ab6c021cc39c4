// Files the user names on the command line (a .env file, a certificate), read by the CLI and sent in a body.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../core/index.ts';
import type { Ctx } from './context.ts';

/**
 * The text of `file` (relative to the working directory): refused, saying `hint`, when it is missing or not a
 * file, and with `tooLarge(size)` past `max` bytes, before anything is read.
 */
export async function readNamedFile(ctx: Ctx, file: string, hint: string, max: number, tooLarge: (size: number) => UserError): Promise<string> {
  const path = resolve(ctx.io.cwd, file);
  const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => null);
  if (size === null) throw new UserError(`no file ${file}`, hint);
  if (size < 0) throw new UserError(`${file} is not a file`, hint);
  if (size > max) throw tooLarge(size);
  return readFile(path, 'utf8');
}
