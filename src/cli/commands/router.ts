// Per-app router settings: `router:report <app>` shows them, `router:set <app> timeout 60 | https-only true | max-body 50m` changes one.
import { UserError, formatSize, parseRouterSetting, type RouterDaemonReport, type RouterReport } from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import { json } from '../kit/format.ts';

const USAGE = (app: string) => `usage: minicloud router:set ${app} timeout <seconds>|default, minicloud router:set ${app} https-only true|false, or minicloud router:set ${app} max-body <size>|0|default`;

/** The body limit as router:report shows it. */
function bodyLimit(r: RouterReport): string {
  const bytes = r.maxBodyBytes ?? r.defaultMaxBodyBytes;
  const what = bytes === 0 ? 'none' : `${formatSize(bytes)} (${bytes} bytes; 413 beyond)`;
  return `${what}${r.maxBodyBytes === null ? ' (the default)' : ''}`;
}

const report: Command = {
  name: 'router:report',
  usage: '<app> [--json]',
  summary: "show an app's router settings: upstream timeout, https-only and request body limit",
  app: true,
  json: true,
  async run(ctx, args) {
    const r = await ctx.client().request<RouterReport>('GET', appPath(args.app, '/router'));
    if (args.flags.json) return ctx.out(json(r));
    ctx.out(`timeout:     ${r.timeoutSeconds ?? r.defaultTimeoutSeconds} s${r.timeoutSeconds === null ? ' (the default)' : ''}`);
    ctx.out(`https-only:  ${r.httpsOnly}${r.httpsOnly ? ' (plain HTTP gets a 308 to https://)' : ''}`);
    ctx.out(`max-body:    ${bodyLimit(r)}`);
  },
};

const set: Command = {
  name: 'router:set',
  usage: '<app> timeout <seconds>|default | https-only true|false | max-body <size>|0|default',
  summary: "change one router setting of an app: its upstream idle timeout (504 after it), https-only, or request body limit (413 beyond; e.g. 50m); applies at once",
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const [name, value, extra] = args.rest;
    if (name === undefined || value === undefined) throw new UserError(name === undefined ? 'nothing to set' : `no value for ${name}`, USAGE(args.app));
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, USAGE(args.app));
    parseRouterSetting(name, value); // a typo is reported here, before any request
    ctx.out(`Setting ${args.app}'s ${name} to ${value}... `, '');
    const r = await ctx.client().request<RouterReport>('PUT', appPath(args.app, '/router'), { name, value });
    ctx.out(name === 'timeout' ? `done, ${r.timeoutSeconds ?? r.defaultTimeoutSeconds} s` : name === 'max-body' ? `done, max-body ${bodyLimit(r)}` : `done, https-only ${r.httpsOnly}`);
  },
};

function daemonLines(r: RouterDaemonReport): string[] {
  return [
    `pid:      ${r.pid} (its own process: it serves on while minicloud stops or restarts)`,
    `workers:  ${r.workers} (pid ${r.workerPids.join(', ')})`,
    `ports:    ${r.port} (HTTP)${r.httpsPort === null ? '' : `, ${r.httpsPort} (HTTPS)`}`,
    `since:    ${r.startedAt}`,
    `code:     ${r.code}`,
  ];
}

const status: Command = {
  name: 'router:status',
  usage: '[--json]',
  summary: 'show the router daemon: its process, workers and ports',
  json: true,
  async run(ctx, args) {
    const r = await ctx.client().request<RouterDaemonReport>('GET', '/api/router');
    if (args.flags.json) return ctx.out(json(r));
    for (const line of daemonLines(r)) ctx.out(line);
  },
};

const restart: Command = {
  name: 'router:restart',
  usage: '',
  summary: "restart the router's workers with the code on disk: new ones listen before the old ones finish their requests, so none fails",
  async run(ctx) {
    ctx.out('Restarting the router... ', '');
    const r = await ctx.client().request<RouterDaemonReport>('POST', '/api/router/restart');
    ctx.out('done');
    for (const line of daemonLines(r)) ctx.out(line);
  },
};

export const routerCommands: Command[] = [report, set, status, restart];
