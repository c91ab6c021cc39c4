// Commands about the server and its limits: `status` (runtime, builds) and an app's memory limit.
import { UserError, type Deploy } from '../../core/index.ts';
import { appPath, type Command } from '../command.ts';
import { json } from '../format.ts';
import { reportDeploy } from './config.ts';

interface Status {
  runtime: 'docker' | 'process';
  docker: string | null;
  builds: { concurrency: number; memoryMb: number | null };
  defaultMemoryMb: number;
  isolation?: { mode: string; summary: string };
  apps: number;
}

interface Resources { memoryMb: number; default: boolean; enforced: boolean; deploy?: Deploy | null }

const status: Command = {
  name: 'status',
  usage: '[--json]',
  summary: 'what minicloud runs apps on (Docker or host processes) and how it builds',
  json: true,
  async run(ctx, args) {
    const s = await ctx.client().request<Status>('GET', '/api/status');
    if (args.flags.json) return ctx.out(json(s));
    ctx.out(`Runtime:  ${s.runtime === 'docker' ? `Docker ${s.docker} (every release an image, every instance a container)` : 'host processes (no Docker engine)'}`);
    ctx.out(`Builds:   ${s.builds.concurrency} at a time${s.builds.memoryMb ? `, each capped at ${s.builds.memoryMb} MiB` : ''}`);
    ctx.out(`Apps:     ${s.apps}, ${s.defaultMemoryMb} MiB of memory each unless set (resources:set)`);
    if (s.isolation) ctx.out(`Isolation: ${s.isolation.summary}`);
  },
};

const show: Command = {
  name: 'resources',
  usage: '<app> [--json]',
  summary: "show an app's memory limit",
  app: true,
  json: true,
  async run(ctx, args) {
    const r = await ctx.client().request<Resources>('GET', appPath(args.app, '/resources'));
    if (args.flags.json) return ctx.out(json(r));
    ctx.out(`memory: ${r.memoryMb} MiB${r.default ? ' (the default)' : ''}${r.enforced ? '' : ' (not enforced: host processes run uncapped)'}`);
  },
};

const set: Command = {
  name: 'resources:set',
  usage: '<app> memory=<size>',
  summary: "set an app's memory limit (e.g. memory=512M, memory=1G, memory=default); the app restarts",
  app: true,
  passthrough: true,
  async run(ctx, args) {
    const usage = `usage: minicloud resources:set ${args.app} memory=512M`;
    const [pair, extra] = args.rest;
    if (!pair || extra !== undefined) throw new UserError(pair ? `unexpected argument ${JSON.stringify(extra)}` : 'nothing to set', usage);
    const [key, value] = pair.split('=', 2);
    if (key !== 'memory' || !value) throw new UserError(`${JSON.stringify(pair)} is not a setting minicloud knows`, usage);
    ctx.out(`Setting ${args.app}'s memory limit to ${value}... `, '');
    const r = await ctx.client().request<Resources>('PUT', appPath(args.app, '/resources'), { memory: value });
    if (r.deploy) return reportDeploy(ctx, r.deploy, `; ${r.memoryMb} MiB`);
    ctx.out(`done, ${r.memoryMb} MiB (it applies from the next start)`);
  },
};

export const resourcesCommands: Command[] = [status, show, set];
