// Interactive questions on stdin (used by login); secret answers are not echoed on a terminal.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UserError } from '../../core/index.ts';
import type { Io } from './context.ts';

export interface Prompter {
  ask(question: string, secret?: boolean): Promise<string>;
  close(): void;
}

export function createPrompter(io: Io): Prompter {
  const tty = Boolean(io.stdin.isTTY);
  let muted = false;
  // readline echoes keystrokes through its output, so muting that stream hides a typed token.
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) io.stderr.write(String(chunk));
      done();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: tty });
  // The iterator buffers lines, so piped input answers every question even if it arrives at once.
  const lines = rl[Symbol.asyncIterator]();
  rl.on('SIGINT', () => rl.close());
  return {
    async ask(question, secret = false) {
      rl.setPrompt(question);
      rl.prompt();
      muted = secret && tty;
      const next = await lines.next();
      if (muted) io.stderr.write('\n');
      muted = false;
      if (next.done) throw new UserError('no answer given', 'pass --url and --token to log in without prompts');
      return String(next.value).trim();
    },
    close: () => rl.close(),
  };
}

/** Reads `key=value` lines until a blank line or end of input (git's credential protocol). */
export async function readKeyValues(input: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const rl = createInterface({ input, terminal: false });
  const result: Record<string, string> = {};
  try {
    for await (const line of rl) {
      if (line === '') break;
      const eq = line.indexOf('=');
      if (eq > 0) result[line.slice(0, eq)] = line.slice(eq + 1);
    }
  } finally {
    rl.close();
  }
  return result;
}
