// People commands: list users, add one (admin or member of apps; a password piped, from the environment, or made and
// shown once), change one's role or apps, remove one; who is logged in to the dashboard, and ending a session.
import { UserError, type SessionInfo, type UserInfo } from '../../core/index.ts';
import type { Command } from '../kit/command.ts';
import { json, table, time } from '../kit/format.ts';
import { secretInput } from '../kit/secret.ts';

const list: Command = {
  name: 'users',
  usage: '[--json]',
  summary: 'list the people who can log in: email, role, apps',
  json: true,
  async run(ctx, args) {
    const users = await ctx.client().request<UserInfo[]>('GET', '/api/users');
    if (args.flags.json) return ctx.out(json(users));
    if (users.length === 0) return ctx.out('No users yet. Add one with `minicloud users:add <email> --role member --app <app>`.');
    for (const line of table(users.map((u) => [u.email, u.role, u.apps?.join(',') ?? 'all', time(u.createdAt)]), ['EMAIL', 'ROLE', 'APPS', 'ADDED'])) ctx.out(line);
  },
};

const add: Command = {
  name: 'users:add',
  usage: '<email> --role admin|member [--app <app>]... [--password-stdin]',
  summary: 'let a person log in to the dashboard and make their own CLI tokens; a member sees and acts on their apps only',
  options: { role: { type: 'string' }, app: { type: 'string', multiple: true }, 'password-stdin': { type: 'boolean' } },
  help: 'The password (12 characters or more) is piped with --password-stdin or read from MINICLOUD_USER_PASSWORD;\nwithout one, minicloud makes one and prints it once, to hand over.',
  async run(ctx, args) {
    const email = args.rest[0];
    if (!email) throw new UserError('no email given', 'usage: minicloud users:add <email> --role admin|member [--app <app>]...');
    if (args.rest.length > 1) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[1])}`, 'repeat --app for several apps');
    const apps = (args.flags.app as unknown as string[] | undefined) ?? [];
    const password = await secretInput(ctx, args, { flag: 'password', env: 'MINICLOUD_USER_PASSWORD', what: 'password' });
    const u = await ctx.client().request<UserInfo & { password?: string }>('POST', '/api/users', { email, role: args.flags.role, apps, ...(password !== undefined && { password }) });
    ctx.out(`-----> Added ${u.email} (${u.role}${u.apps ? ` of ${u.apps.join(', ')}` : ''})`);
    if (u.password) {
      ctx.out('       Their password, shown once (hand it over; only its hash is kept):');
      ctx.out(`       ${u.password}`);
    }
    ctx.out(`       They log in to the dashboard with it, and make a CLI token with \`minicloud tokens:create laptop --email ${u.email}\`.`);
  },
};

const set: Command = {
  name: 'users:set',
  usage: '<email> --role admin|member [--app <app>]...',
  summary: "change a person's role or apps; their sessions and own tokens act with the new ones from their next request",
  options: { role: { type: 'string' }, app: { type: 'string', multiple: true } },
  async run(ctx, args) {
    const email = args.rest[0];
    if (!email) throw new UserError('no email given', 'usage: minicloud users:set <email> --role admin|member [--app <app>]...');
    if (args.rest.length > 1) throw new UserError(`unexpected argument ${JSON.stringify(args.rest[1])}`, 'repeat --app for several apps');
    const apps = (args.flags.app as unknown as string[] | undefined) ?? [];
    const u = await ctx.client().request<UserInfo>('PATCH', `/api/users/${encodeURIComponent(email)}`, { role: args.flags.role, apps });
    ctx.out(`-----> ${u.email} is now ${u.role === 'admin' ? 'an admin' : `a member of ${u.apps?.join(', ') ?? 'no app'}`}`);
  },
};

const remove: Command = {
  name: 'users:remove',
  usage: '<email>',
  summary: 'remove a person: their tokens and dashboard sessions end at once',
  async run(ctx, args) {
    const email = args.rest[0];
    if (!email) throw new UserError('no email given', 'usage: minicloud users:remove <email>');
    await ctx.client().request('DELETE', `/api/users/${encodeURIComponent(email)}`);
    ctx.out(`-----> Removed ${email}`);
  },
};

const sessions: Command = {
  name: 'sessions',
  usage: '[--json]',
  summary: 'who is logged in to the dashboard: who, from where, since when',
  json: true,
  async run(ctx, args) {
    const list = await ctx.client().request<SessionInfo[]>('GET', '/api/sessions');
    if (args.flags.json) return ctx.out(json(list));
    if (list.length === 0) return ctx.out('No one is logged in to the dashboard.');
    for (const line of table(list.map((s) => [s.key.slice(0, 12), s.who, s.address, time(s.since), time(s.expires)]), ['SESSION', 'WHO', 'FROM', 'SINCE', 'EXPIRES'])) ctx.out(line);
  },
};

const end: Command = {
  name: 'sessions:end',
  usage: '<session>',
  summary: 'log someone out of the dashboard (the SESSION column of `minicloud sessions`)',
  async run(ctx, args) {
    const prefix = args.rest[0];
    if (!prefix || !/^[0-9a-f]{6,64}$/.test(prefix)) throw new UserError('which session?', 'give the SESSION column of `minicloud sessions`');
    const matches = (await ctx.client().request<SessionInfo[]>('GET', '/api/sessions')).filter((s) => s.key.startsWith(prefix));
    if (matches.length !== 1) throw new UserError(matches.length ? `${prefix} matches several sessions` : `no session ${prefix}`, 'see `minicloud sessions`');
    await ctx.client().request('DELETE', `/api/sessions/${matches[0]!.key}`);
    ctx.out(`-----> Ended the session of ${matches[0]!.who}`);
  },
};

export const userCommands: Command[] = [list, add, set, remove, sessions, end];
