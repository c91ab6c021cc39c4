// Custom domain commands: list an app's domains, add one, remove one.
import { validateDomain, type DomainAdded, type DomainEntry } from '../../core/index.ts';
import { appPath, oneArgument, type Args, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, table, time } from '../kit/format.ts';

/** Indent of the detail lines under a "Doing x... done" line, as the other commands print them. */
const INDENT = '       ';

/** The one domain after the app, validated here so an invalid one never becomes a request. */
function domainArg(ctx: Ctx, args: Args, cmd: Command): string | 'help' {
  const r = oneArgument(ctx, args, cmd, {
    what: 'domain', example: '(e.g. www.example.com)',
    note: 'The app can also be given with -a/--app <app>. A wildcard (*.example.com) covers one label.',
  });
  return r === 'help' ? r : validateDomain(r.value);
}

const domainPath = (app: string, domain: string) => appPath(app, `/domains/${encodeURIComponent(domain)}`);

const list: Command = {
  name: 'domains',
  usage: '<app> [--json]',
  summary: "list an app's domains: its default one and the custom ones",
  app: true,
  json: true,
  async run(ctx, args) {
    const domains = await ctx.client().request<DomainEntry[]>('GET', appPath(args.app, '/domains'));
    if (args.flags.json) return ctx.out(json(domains));
    const rows = domains.map((d) => ('default' in d ? [d.domain, 'default'] : [d.domain, `added ${time(d.createdAt)}`]));
    for (const line of table(rows, ['DOMAIN', ''])) ctx.out(line);
    if (!domains.some((d) => !('default' in d))) {
      ctx.out();
      ctx.out(`${args.app} has no custom domains. Add one with \`minicloud domains:add ${args.app} www.example.com\`.`);
    }
  },
};

const add: Command = {
  name: 'domains:add',
  usage: '<app> <domain>',
  summary: 'serve an app at a domain of yours too (www.example.com, or *.example.com)',
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const domain = domainArg(ctx, args, add);
    if (domain === 'help') return 0;
    ctx.out(`Adding ${domain} to ${args.app}... `, '');
    const res = await ctx.client().request<DomainAdded>('POST', appPath(args.app, '/domains'), { domain });
    ctx.out(res.added === false ? `done (${args.app} already had it)` : 'done');
    const target = res.cnameTarget ? ` or a CNAME record pointing at ${res.cnameTarget}` : '';
    const record = domain.startsWith('*.') ? `a wildcard DNS record for ${domain}` : `the DNS record of ${domain}`;
    ctx.out(`${INDENT}Point ${record} at this server: an A record with its IP address${target}.`);
  },
};

const remove: Command = {
  name: 'domains:remove',
  usage: '<app> <domain>',
  summary: 'stop serving an app at one of its custom domains',
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const domain = domainArg(ctx, args, remove);
    if (domain === 'help') return 0;
    ctx.out(`Removing ${domain} from ${args.app}... `, '');
    await ctx.client().request('DELETE', domainPath(args.app, domain));
    ctx.out('done');
  },
};

export const domainCommands: Command[] = [list, add, remove];
