// `run`: a one-off command in an app's environment on its current release, its output streamed back.
import { UserError, type RunEvent } from '../../core/index.ts';
import { StreamBroken } from '../kit/client.ts';
import { appPath, type Command } from '../kit/command.ts';
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
  async run(ctx, args) {
    const command = commandLine(args.rest);
    if (command.trim() === '') {
      throw new UserError(
        'no command given',
        'usage: minicloud run <app> -- <command...>, e.g. `minicloud run my-app -- npm run migrate`',
      );
    }
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
