// What a CLI command runs against: injectable streams, env and cwd, and the lazily built API client.
import { UserError } from '../../core/index.ts';
import { Client } from './client.ts';
import { resolveServer } from './config.ts';

export interface Output {
  write(chunk: string): unknown;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface Ctx {
  io: Io;
  /** Writes one line (or a partial line when `end` is '') to stdout. */
  out(text?: string, end?: string): void;
  /** Prints a non-fatal problem in the same ` !     ` shape as errors. */
  warn(message: string): void;
  /** The API client; throws "not logged in" only when a command actually needs the server. */
  client(): Client;
  /** True while a line started with out(text, '') awaits its end. */
  partial(): boolean;
}

export function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export function createCtx(io: Io): Ctx {
  let client: Client | undefined;
  let partial = false;
  return {
    io,
    out(text = '', end = '\n') {
      io.stdout.write(text + end);
      if (text + end) partial = !(text + end).endsWith('\n');
    },
    partial: () => partial,
    warn: (message) => void io.stderr.write(` !     ${message}\n`),
    client() {
      if (client) return client;
      const { url, token } = resolveServer(io.env);
      if (!token) throw new UserError('not logged in', 'run `minicloud login` or set MINICLOUD_TOKEN', 401);
      return (client = new Client(url, token));
    },
  };
}

export function renderError(io: Io, e: unknown): void {
  if (e instanceof UserError) {
    io.stderr.write(` !     ${e.message}\n`);
    if (e.hint) io.stderr.write(` !     ${e.hint}\n`);
    return;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(` !     unexpected error: ${err.message}\n`);
  // A stack is noise for users but what a bug report needs.
  if (io.env.MINICLOUD_DEBUG) io.stderr.write(`${err.stack ?? ''}\n`);
  else io.stderr.write(' !     set MINICLOUD_DEBUG=1 for details\n');
}
