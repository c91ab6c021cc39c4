// Commands about the server and its limits: `status` (runtime, builds, isolation) and an app's memory, CPU and process limits.
import { UserError, type ResourcesInfo, type ServerStatus } from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import { json } from '../kit/format.ts';
import { reportDeploy } from './config.ts';

const SETTINGS = ['memory', 'cpu', 'pids'];

const RUNTIMES: Record<ServerStatus['runtime'], (version: string | null) => string> = {
  docker: (v) => `Docker ${v} (every release an image, every instance a container)`,
  swarm: (v) => `Docker Swarm ${v} (every release an image in the swarm's registry, every instance a service on any node)`,
  process: () => 'host processes (no Docker engine)',
};

const status: Command = {
  name: 'status',
  usage: '[--json]',
  summary: 'what minicloud runs apps on (Docker or host processes) and how it builds',
  json: true,
  async run(ctx, args) {
    const s = await ctx.client().request<ServerStatus>('GET', '/api/status');
    if (args.flags.json) return ctx.out(json(s));
    ctx.out(`Runtime:  ${RUNTIMES[s.runtime](s.docker)}`);
    ctx.out(`Builds:   ${s.builds.concurrency} at a time${s.builds.memoryMb ? `, each capped at ${s.builds.memoryMb} MiB` : ''}`);
    ctx.out(`Apps:     ${s.apps}, ${s.defaultMemoryMb} MiB of memory each unless set (resources:set)`);
    if (s.isolation) ctx.out(`Isolation: ${s.isolation.summary}`);
    if (s.limits) ctx.out(`Limits:   ${s.limits.summary}`);
  },
};

const show: Command = {
  name: 'resources',
  usage: '<app> [--json]',
  summary: "show an app's memory, CPU and process limits",
  app: true,
  json: true,
  async run(ctx, args) {
    const r = await ctx.client().request<ResourcesInfo>('GET', appPath(args.app, '/resources'));
    if (args.flags.json) return ctx.out(json(r));
    ctx.out(`memory: ${r.memoryMb} MiB${r.default ? ' (the default)' : ''}${r.enforced ? '' : ' (not enforced: minicloud has no cgroups here, see `minicloud status`)'}`);
    if (r.cpu !== undefined) ctx.out(`cpu:    ${r.cpu}${r.cpuDefault ? ' (the default)' : ''}${r.cpuEnforced ? '' : ' (not enforced: minicloud has no cgroups here, see `minicloud status`)'}`);
    if (r.pids !== undefined) ctx.out(`pids:   ${r.pids}${r.pidsDefault ? ' (the default)' : ''}${r.pidsEnforced ? '' : ' (not enforced: minicloud is not root)'}`);
  },
};

const set: Command = {
  name: 'resources:set',
  usage: '<app> memory=<size> cpu=<cpus> pids=<count>',
  summary: "set an app's limits, any of memory (512M, 1G), cpu (0.5, 2) and pids (256), or `default`; the app restarts",
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const usage = `usage: minicloud resources:set ${args.app} memory=512M cpu=0.5 pids=256`;
    if (!args.rest.length) throw new UserError('nothing to set', usage);
    const body: Record<string, string> = {};
    for (const pair of args.rest) {
      const [key, value] = pair.split('=', 2);
      if (!key || !SETTINGS.includes(key) || !value) throw new UserError(`${JSON.stringify(pair)} is not a setting minicloud knows`, usage);
      body[key] = value;
    }
    const what = Object.entries(body).map(([k, v]) => `${k} ${v}`).join(', ');
    ctx.out(`Setting ${args.app}'s ${Object.keys(body).length > 1 ? 'limits' : `${Object.keys(body)[0] === 'memory' ? 'memory limit' : Object.keys(body)[0] + ' limit'}`} to ${Object.keys(body).length > 1 ? what : Object.values(body)[0]}... `, '');
    const r = await ctx.client().request<ResourcesInfo>('PUT', appPath(args.app, '/resources'), body);
    const now = `${r.memoryMb} MiB${r.cpu !== undefined ? `, ${r.cpu} CPU` : ''}${r.pids !== undefined ? `, ${r.pids} processes` : ''}`;
    if (r.deploy) return reportDeploy(ctx, r.deploy, `; ${now}`);
    ctx.out(`done, ${now} (it applies from the next start)`);
  },
};

export const resourcesCommands: Command[] = [status, show, set];
