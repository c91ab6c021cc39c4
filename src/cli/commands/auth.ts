// Commands about who we are to the server: login, and the git credential helper that reuses its token.
import { UserError } from '../../core/index.ts';
import { Client } from '../client.ts';
import type { Command } from '../command.ts';
import { flag } from '../command.ts';
import { DEFAULT_URL, normalizeUrl, resolveServer, saveLogin } from '../config.ts';
import { createPrompter, readKeyValues, type Prompter } from '../prompt.ts';

const login: Command = {
  name: 'login',
  usage: '[--url URL] [--token TOKEN]',
  summary: 'verify a server URL and token and save them for later commands',
  options: { url: { type: 'string' }, token: { type: 'string' } },
  async run(ctx, args) {
    const env = ctx.io.env;
    let fallback = DEFAULT_URL;
    try {
      fallback = resolveServer(env).url;
    } catch {
      // A broken saved config must not stop the command that rewrites it.
    }
    let prompter: Prompter | undefined;
    try {
      let url = flag(args, 'url');
      let token = flag(args, 'token');
      if (url === undefined || token === undefined) prompter = createPrompter(ctx.io);
      if (url === undefined) url = (await prompter!.ask(`minicloud URL [${fallback}]: `)) || fallback;
      url = normalizeUrl(url);
      if (token === undefined) token = await prompter!.ask('Token: ', true);
      if (!token) throw new UserError('no token given', 'pass --token TOKEN or type it at the prompt');
      await new Client(url, token).request('GET', '/api/me');
      saveLogin(env, { url, token });
      ctx.out(`Logged in to ${url}`);
    } finally {
      prompter?.close();
    }
  },
};

const credential: Command = {
  name: 'git:credential',
  usage: '[get|store|erase]',
  summary: 'credential helper that gives git your token (set up by apps:create and git:remote)',
  async run(ctx, args) {
    const op = args.rest[0] ?? 'get';
    // git sends the request on stdin even for store/erase; drain it so git never sees a broken pipe.
    await readKeyValues(ctx.io.stdin);
    if (op !== 'get') return 0;
    const { token } = resolveServer(ctx.io.env);
    if (!token) throw new UserError('not logged in', 'run `minicloud login` or set MINICLOUD_TOKEN');
    ctx.out(`username=minicloud\npassword=${token}`);
    return 0;
  },
};

export const authCommands: Command[] = [login, credential];
