// Commands about who we are to the server: login, and the git credential helper that reuses its token.
import { UserError } from '../../core/index.ts';
import { Client } from '../kit/client.ts';
import type { Command } from '../kit/command.ts';
import { flag } from '../kit/command.ts';
import { DEFAULT_URL, normalizeUrl, resolveServer, saveLogin } from '../kit/config.ts';
import { createPrompter, readKeyValues, type Prompter } from '../kit/prompt.ts';

const login: Command = {
  name: 'login',
  usage: '[<server-url>]',
  summary: 'check a server URL (e.g. https://admin.example.com) and a token, and save them for later commands',
  help: 'The token comes from MINICLOUD_TOKEN or a prompt (typed, or piped on stdin), never from an argument,\nwhich other users of the machine could read in the process list.',
  options: { url: { type: 'string' } },
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
      let url = args.rest[0] ?? flag(args, 'url');
      let token = env.MINICLOUD_TOKEN || undefined;
      if (url === undefined || token === undefined) prompter = createPrompter(ctx.io);
      if (url === undefined) url = (await prompter!.ask(`minicloud URL [${fallback}]: `)) || fallback;
      url = normalizeUrl(url);
      if (token === undefined) token = await prompter!.ask('Token: ', true);
      if (!token) throw new UserError('no token given', 'type it at the prompt, or set MINICLOUD_TOKEN');
      await new Client(url, token).request('GET', '/api/me');
      saveLogin(env, { url, token });
      ctx.out(`Logged in to ${url}`);
      if (plainRemote(url)) ctx.warn(`${url} is plain HTTP to another machine: your token crosses the network readable. Use the server's https://admin.<domain> URL.`);
    } finally {
      prompter?.close();
    }
  },
};

/** http:// to anything but this machine. */
function plainRemote(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && !u.hostname.endsWith('.localhost');
}

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
