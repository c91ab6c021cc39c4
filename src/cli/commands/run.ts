// `run`: a one-off command in an app's environment on its current release, its output streamed back.
import { UserError, type RunEvent } from '../../core/index.ts';
import { StreamBroken } from '../kit/client.ts';
import { appPath, type Command } from '../kit/command.ts';
import { runConsole, wantsConsole } from '../kit/console.ts';
import { shellQuote } from '../kit/format.ts';

/**
 * The command line the server hands to `sh -c`. Several words are quoted so sh sees the same words;
 * a single one is taken as a command line of its own (`minicloud run app 'ls | wc -l'`), as ssh does.
 */
export function commandLine(words: string[]): string {
  if (words.length === 1) return words[0] ?? '';
  return words.map(shellQuote).join(' ');
}

const run: Command = {
  name: 'run',
  usage: '<app> [--] <command...>',
  summary: "run a one-off command on the app's current release and config; exits with its code",
  app: true,
  passthrough: true,
  options: {
    tty: { type: 'boolean', short: 't' },
    'no-tty': { type: 'boolean' },
  },
  help: [
    'From a terminal, the command gets one of its own on the server (an interactive console: `minicloud run my-app bash`):',
    'what you type goes to it, Ctrl-C included, its window follows yours, and `exit` or Ctrl-D ends it.',
    'Otherwise (output to a pipe or file) its output comes back line by line and it reads no input.',
    '  -t, --tty     a console even when not at a terminal (input from a pipe, say)',
    '  --no-tty      never a console: output line by line, no input',
    'A console with nothing typed or printed for an hour is closed (the server\'s MINICLOUD_CONSOLE_IDLE_TIMEOUT).',
  ].join('\n'),
  async run(ctx, args) {
    const command = commandLine(args.rest);
    if (command.trim() === '') {
      throw new UserError(
        'no command given',
        'usage: minicloud run <app> -- <command...>, e.g. `minicloud run my-app -- npm run migrate`',
      );
    }
    if (wantsConsole(ctx, args.flags)) return runConsole(ctx, ctx.client(), args.app, command);
    try {
      for await (const event of ctx.client().stream<RunEvent>(appPath(args.app, '/run'), 'POST', { command })) {
        if (event.type === 'line') ctx.out(event.text, event.text.endsWith('\n') ? '' : '\n');
        else if (event.type === 'exit') return Number.isInteger(event.code) ? event.code : 1;
      }
    } catch (e) {
      if (!(e instanceof StreamBroken)) throw e;
    }
    throw new UserError(
      'lost the connection before the command ended',
      'the server or the network closed the stream; the command may not have finished',
    );
  },
};

export const runCommands: Command[] = [run];
