// apps:create <name> --compose <file>: the file and the env_files it names (read beside it, never through a link
// or outside its directory) sent to the server, which checks it whole before making anything; the log streamed.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserError, type LogEvent } from '../../core/index.ts';
import type { Ctx } from '../kit/context.ts';

// The server reads at most 32 KiB of a Compose file and 32 KiB of an env_file; a bigger one is refused here first.
const COMPOSE_MAX = 32 * 1024;
const ENV_FILE_MAX = 32 * 1024;

/** A plain file under `dir`, reached without a link on the way (an env_file is read as the file says, not followed out). */
function readBeside(dir: string, rel: string, max: number): string {
  const full = resolve(dir, rel);
  if (!full.startsWith(dir + sep)) throw new UserError(`env_file ${rel} is outside ${dir}`, 'keep env files beside the Compose file');
  let at = dir;
  for (const part of full.slice(dir.length + 1).split(sep)) {
    at = join(at, part);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) throw new UserError(`env_file ${rel} does not exist (looked for ${full})`);
    if (st.isSymbolicLink()) throw new UserError(`env_file ${rel} goes through a link (${at}); minicloud reads env files only as plain files`, 'copy the file there instead of linking it');
  }
  const fd = openSync(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`env_file ${rel} is not a plain file`);
    if (st.size > max) throw new UserError(`env_file ${rel} is ${st.size} bytes; minicloud reads at most ${max}`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

export async function createFromCompose(ctx: Ctx, name: string, path: string): Promise<number> {
  const full = resolve(ctx.io.cwd, path);
  const st = lstatSync(full, { throwIfNoEntry: false });
  if (!st?.isFile()) throw new UserError(`${path} is not a file`, 'give the Compose file, e.g. --compose docker-compose.yml');
  if (st.size > COMPOSE_MAX) throw new UserError(`${path} is ${st.size} bytes; minicloud reads at most ${COMPOSE_MAX}`);
  const compose = readFileSync(full, 'utf8');
  const file = basename(full);
  const dir = dirname(full);
  const { envFiles: wanted } = await ctx.client().request<{ envFiles: string[] }>('POST', '/api/compose/env-files', { compose, file });
  const envFiles = Object.fromEntries(wanted.map((rel) => [rel, readBeside(dir, rel, ENV_FILE_MAX)]));
  const stream = ctx.client().stream<LogEvent>('/api/compose/apps', 'POST', { name, compose, file, envFiles });
  for await (const event of stream) {
    if (event.type === 'line') ctx.out(event.text);
    else if (event.type === 'end') {
      if (event.status !== 'succeeded') return 1;
      ctx.out(`${name} runs ${file}: an ordinary app now (config, scale, domains, backups, logs, rollback).`);
      return 0;
    }
  }
  ctx.warn('the log ended before the deploy did; see `minicloud releases` for how it went');
  return 1;
}
