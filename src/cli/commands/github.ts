// Following a GitHub repository: apps:connect prints what to paste into the repository's webhook settings.
import { UserError, type GithubConnected } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import { secretInput } from '../kit/secret.ts';

const connect: Command = {
  name: 'apps:connect',
  usage: '<app> --github owner/repo [--branch B] [--token-stdin]',
  summary: 'deploy an app on every GitHub push to a branch (prints the webhook URL and secret)',
  app: true,
  options: { github: { type: 'string' }, branch: { type: 'string' }, token: { type: 'string' }, 'token-stdin': { type: 'boolean' } },
  help: 'The branch is the app\'s deploy branch unless --branch says (main follows master pushes too).\nFor a private repository, a GitHub token that can read it: piped with --token-stdin, or in GITHUB_TOKEN (--token T works, with a warning).',
  async run(ctx, args) {
    const repo = flag(args, 'github');
    if (!repo) throw new UserError('which repository?', `e.g. \`minicloud apps:connect ${args.app} --github octocat/hello-world --branch main\``);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw new UserError(`${JSON.stringify(repo)} is not owner/repo`, 'e.g. --github octocat/hello-world');
    const body = { repo, branch: flag(args, 'branch'), token: await secretInput(ctx, args, { flag: 'token', env: 'GITHUB_TOKEN', what: 'GitHub token' }) };
    const c = await ctx.client().request<GithubConnected>('POST', appPath(args.app, '/github'), body);
    ctx.out(`-----> ${args.app} follows ${c.repo} (branch ${c.branch})${c.hasToken ? ', fetching with your token' : ''}`);
    ctx.out('');
    ctx.out(`In GitHub, open ${c.repo} → Settings → Webhooks → Add webhook, and enter:`);
    ctx.out(`  Payload URL:   ${c.payloadUrl}`);
    ctx.out(`  Content type:  ${c.contentType}`);
    ctx.out(`  Secret:        ${c.secret}`);
    ctx.out('  Events:        Just the push event');
    ctx.out('');
    ctx.out(`Each push to ${c.branch} then builds and releases ${args.app}; follow it with \`minicloud logs ${args.app} --build -f\`.`);
    ctx.out('The secret is shown only now; run apps:connect again to make a new one.');
  },
};

export const githubCommands: Command[] = [connect];
