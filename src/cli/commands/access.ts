// Access commands: list API tokens, create one (its secret printed once), revoke one; read the audit log.
import { UserError, type AuditInfo, type TokenInfo } from '../../core/index.ts';
import type { Args, Command } from '../kit/command.ts';
import { Client } from '../kit/client.ts';
import { resolveServer } from '../kit/config.ts';
import type { Ctx } from '../kit/context.ts';
import { createPrompter } from '../kit/prompt.ts';
import { secretInput } from '../kit/secret.ts';
import { json, table, time } from '../kit/format.ts';

const ROLES = 'admin|deploy|read|metrics';

const list: Command = {
  name: 'tokens',
  usage: '[--json]',
  summary: 'list API tokens: name, role, apps, created, last used',
  json: true,
  async run(ctx, args) {
    const tokens = await ctx.client().request<TokenInfo[]>('GET', '/api/tokens');
    if (args.flags.json) return ctx.out(json(tokens));
    const rows = tokens.map((t) => [t.name, t.role, t.apps?.join(',') ?? 'all', t.user ?? '', time(t.createdAt), t.lastUsedAt ? time(t.lastUsedAt) : 'never']);
    for (const line of table(rows, ['NAME', 'ROLE', 'APPS', 'USER', 'CREATED', 'LAST USED'])) ctx.out(line);
  },
};

const create: Command = {
  name: 'tokens:create',
  usage: `<name> (--role ${ROLES} [--app <app>]... | --email <you>) [--json]`,
  summary: 'create an API token; it is printed once, only its hash is kept',
  json: true,
  options: { role: { type: 'string' }, app: { type: 'string', multiple: true }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  help: [
    'Roles: admin (everything), deploy (push to its apps and read their deploy logs; needs --app),',
    'read (see apps, releases, logs and metrics; --app narrows it), metrics (GET /metrics only).',
    'Without --role, the token is your own and acts as you. A person (users:add) makes their first one with',
    '--email <their email>: the password is asked for, piped with --password-stdin, or read from MINICLOUD_PASSWORD.',
  ].join('\n'),
  async run(ctx, args) {
    const name = args.rest[0];
    if (!name) throw new UserError('no token name given', `usage: minicloud tokens:create <name> --role ${ROLES} [--app <app>]...`);
    if (args.rest.length > 1) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[1])}`, 'give one name; repeat --app for several apps');
    const role = args.flags.role;
    const email = args.flags.email;
    const apps = (args.flags.app as unknown as string[] | undefined) ?? [];
    const client = typeof email === 'string' ? await asPerson(ctx, args, email) : ctx.client();
    const made = await client.request<TokenInfo & { token: string }>('POST', '/api/tokens', typeof role === 'string' ? { name, role, apps } : { name });
    if (args.flags.json) return ctx.out(json(made));
    ctx.out(`-----> Created token ${made.name} (${made.user ? `acting as ${made.user}` : `${made.role}${made.apps ? ` on ${made.apps.join(', ')}` : ''}`})`);
    ctx.out('       Shown once; store it now (only its hash is kept):');
    ctx.out(`       ${made.token}`);
  },
};

/** A client that authenticates as a person by email and password (to make their first token). */
async function asPerson(ctx: Ctx, args: Args, email: string): Promise<Client> {
  let password = await secretInput(ctx, args, { flag: 'password', env: 'MINICLOUD_PASSWORD', what: 'password' });
  if (password === undefined) {
    const prompter = createPrompter(ctx.io);
    try {
      password = await prompter.ask(`Password for ${email}: `, true);
    } finally {
      prompter.close();
    }
  }
  const { url } = resolveServer(ctx.io.env);
  return new Client(url, '', `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`);
}

const revoke: Command = {
  name: 'tokens:revoke',
  usage: '<name>',
  summary: 'revoke an API token: it stops working at once, for the API, git, metrics and dashboard sessions',
  async run(ctx, args) {
    const name = args.rest[0];
    if (!name) throw new UserError('no token name given', 'usage: minicloud tokens:revoke <name> (see `minicloud tokens`)');
    await ctx.client().request('DELETE', `/api/tokens/${encodeURIComponent(name)}`);
    ctx.out(`-----> Revoked token ${name}`);
  },
};

/** `key=value` pairs of an entry's detail; lists joined with commas. */
const detailText = (d: Record<string, unknown>) =>
  Object.entries(d).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');

const auditLog: Command = {
  name: 'audit',
  usage: '[--app <app>] [-n N] [--json]',
  summary: 'who changed what, when and from where (config var names, never values)',
  json: true,
  options: { app: { type: 'string', short: 'a' }, n: { type: 'string', short: 'n' } },
  async run(ctx, args) {
    const q = new URLSearchParams();
    if (typeof args.flags.app === 'string') q.set('app', args.flags.app);
    if (typeof args.flags.n === 'string') q.set('n', args.flags.n);
    const entries = await ctx.client().request<AuditInfo[]>('GET', `/api/audit${q.size ? `?${q}` : ''}`);
    if (args.flags.json) return ctx.out(json(entries));
    if (entries.length === 0) return ctx.out('Nothing recorded yet.');
    const outcome = (s: number | null) => (s === null || s < 400 ? '' : `failed (${s})`);
    const rows = entries.map((e) => [time(e.at), e.actor, e.action, e.app ?? '', e.address, [detailText(e.detail), outcome(e.status)].filter(Boolean).join(' ')]);
    for (const line of table(rows, ['TIME', 'WHO', 'WHAT', 'APP', 'FROM', 'DETAIL'])) ctx.out(line);
  },
};

export const accessCommands: Command[] = [list, create, revoke, auditLog];
