// Storage commands: persistent directories that survive deploys, restarts and rollbacks.
import { UserError, validateMountPath, type Deploy, type VolumeInfo } from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import { json, table, time } from '../kit/format.ts';
import { reportDeploy } from './config.ts';

const one = (rest: string[], usage: string): string => {
  const [path, extra] = rest;
  if (path === undefined) throw new UserError('no storage path given', usage);
  if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, usage);
  return validateMountPath(path);
};

const list: Command = {
  name: 'storage',
  aliases: ['storage:list'],
  usage: '<app> [--json]',
  summary: "list an app's persistent storage",
  app: true,
  json: true,
  async run(ctx, args) {
    const vols = await ctx.client().request<VolumeInfo[]>('GET', appPath(args.app, '/storage'));
    if (args.flags.json) return ctx.out(json(vols));
    if (vols.length === 0) return ctx.out(`${args.app} has no storage; add some with \`minicloud storage:add ${args.app} /data\``);
    for (const line of table(vols.map((v) => [v.path, v.hostDir ?? '-', time(v.createdAt)]), ['PATH', 'ON THE HOST', 'ADDED'])) ctx.out(line);
  },
};

const add: Command = {
  name: 'storage:add',
  usage: '<app> <path>',
  summary: 'give an app a persistent directory at <path> (e.g. /data), kept across deploys and rollbacks',
  app: true,
  async run(ctx, args) {
    const path = one(args.rest, `usage: minicloud storage:add ${args.app} /data`);
    ctx.out(`Adding storage at ${path} to ${args.app} and restarting... `, '');
    const r = await ctx.client().request<{ volume: VolumeInfo; deploy: Deploy | null }>('POST', appPath(args.app, '/storage'), { path });
    if (reportDeploy(ctx, r.deploy)) return 1;
    ctx.out(`       On the host: ${r.volume.hostDir ?? '-'}`);
    ctx.out(`       The app sees it as .${path} in its own directory (host processes and containers alike)`);
  },
};

const remove: Command = {
  name: 'storage:remove',
  usage: '<app> <path>',
  summary: 'detach storage from an app (its files stay on the host)',
  app: true,
  async run(ctx, args) {
    const path = one(args.rest, `usage: minicloud storage:remove ${args.app} /data`);
    ctx.out(`Removing storage at ${path} from ${args.app} and restarting... `, '');
    const r = await ctx.client().request<{ deploy: Deploy | null; keptAt?: string }>('DELETE', appPath(args.app, `/storage?path=${encodeURIComponent(path)}`));
    if (reportDeploy(ctx, r.deploy)) return 1;
    if (r.keptAt) ctx.out(`       Its files are kept in ${r.keptAt}`);
  },
};

export const storageCommands: Command[] = [list, add, remove];
