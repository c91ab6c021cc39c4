// Moving minicloud to another server: `backup <file>` writes one archive of the whole server, `restore <file>` brings it
// back on a fresh install. The archive holds secrets (config vars, tokens, keys): it is written mode 0600.
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError, type ServerRestoreEvent } from '../../core/index.ts';
import { flag, type Command } from '../kit/command.ts';
import { bytes } from './backups.ts';

const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

const backup: Command = {
  name: 'backup',
  usage: '[<file>]',
  summary: "write one archive of this minicloud (apps, config, releases' sources, add-on data, volumes, tokens, certificates) for `restore`",
  help: 'The file is a tar.gz, mode 0600: it holds every secret of the server. Default name: minicloud-backup-<date>.tar.gz.\nEach app with databases or storage is backed up (and verified) first, as `backups:create` does.',
  async run(ctx, args) {
    const [name, extra] = args.rest;
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`, 'usage: minicloud backup [<file>]');
    const file = resolve(ctx.io.cwd, name ?? `minicloud-backup-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.tar.gz`);
    if (existsSync(file)) throw new UserError(`${file} exists already`, 'give another file name, or move that one away first');
    const t0 = Date.now();
    ctx.out('Backing up this minicloud (each app\'s databases and storage are dumped and verified first)... ', '');
    const res = await ctx.client().raw('GET', '/api/server/backup');
    const partial = `${file}.partial`;
    // 0600 from the first byte; `wx`: never through a link someone left at that name.
    const fd = openSync(partial, 'wx', 0o600);
    try {
      await pipeline(res, createWriteStream('', { fd }));
      if (!res.complete) throw new UserError('the server stopped sending the archive before its end', 'see the server log, then run `minicloud backup` again');
      renameSync(partial, file);
    } catch (e) {
      rmSync(partial, { force: true });
      if (e instanceof UserError) throw e;
      throw new UserError(`the archive did not arrive whole: ${(e as Error).message}`, 'see the server log, then run `minicloud backup` again');
    } finally {
      try { closeSync(fd); } catch { /* closed by the stream */ }
    }
    ctx.out('done');
    const apps = String(res.headers['x-minicloud-apps'] ?? '');
    ctx.out(`       Wrote ${file}: ${bytes(statSync(file).size)}, ${apps ? `apps: ${apps}` : 'no apps'}, in ${secs(t0)}`);
    ctx.out('       It holds every secret of this server (mode 0600): keep it as you keep passwords.');
    ctx.out('       On the new server: `minicloud restore <file>`');
  },
};

const restore: Command = {
  name: 'restore',
  usage: '<file> [--force]',
  summary: 'bring back every app of a `minicloud backup` archive on this (fresh) server: config, domains, add-on data, volumes, rebuilt releases',
  help: 'Refuses a server that has apps already, unless --force (then an app of the same name is refused).\nThe archive is checked whole first: a truncated, altered or foreign file changes nothing.',
  options: { force: { type: 'boolean' } },
  async run(ctx, args) {
    const [name, extra] = args.rest;
    if (name === undefined) throw new UserError('no archive given', 'usage: minicloud restore <file> [--force] (the file `minicloud backup` wrote)');
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`);
    const file = resolve(ctx.io.cwd, name);
    if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`${file} is not a file`, 'give the file `minicloud backup` wrote');
    const t0 = Date.now();
    ctx.out(`Restoring from ${file} (${bytes(statSync(file).size)})...`);
    const force = args.flags.force === true || flag(args, 'force') === 'true';
    const res = await ctx.client().raw('POST', `/api/server/restore${force ? '?force=1' : ''}`,
      { stream: createReadStream(file), type: 'application/gzip', length: statSync(file).size });
    let end: Extract<ServerRestoreEvent, { type: 'end' }> | null = null;
    let buffer = '';
    for await (const chunk of res.setEncoding('utf8')) {
      buffer += chunk as string;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line) as ServerRestoreEvent;
        if (e.type === 'line') ctx.out(e.text);
        else end = e;
      }
    }
    if (!end) throw new UserError('the connection to minicloud ended before the restore did', 'see `minicloud apps` and the server log');
    const failed = end.apps.filter((a) => a.status !== 'restored');
    ctx.out(`       ${end.apps.length - failed.length} of ${end.apps.length} app(s) restored in ${secs(t0)}`);
    if (failed.length) throw new UserError(`not restored: ${failed.map((a) => `${a.name} (${a.error ?? 'no reason given'})`).join('; ')}`, 'fix that, then push those apps again');
  },
};

export const serverCommands: Command[] = [backup, restore];
