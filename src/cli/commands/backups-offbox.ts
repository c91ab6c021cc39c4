// Backups off the box: `backups:target` (an S3-compatible bucket; keys from the environment, standard input or a
// prompt, never the command line), `backups:remote <app>` (what is there), `backups:download <app> <id>` (one as a file).
import { closeSync, createWriteStream, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError, type BackupTargetInfo, type BackupTargetRequest, type RemoteBackupInfo } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, table, time } from '../kit/format.ts';
import { createPrompter } from '../kit/prompt.ts';
import { bytes } from './backups.ts';

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) text += String(chunk);
  return text;
}

/** The access key id and secret: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, two lines on stdin, or asked on a terminal. */
async function keys(ctx: Ctx, stdin: boolean): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  if (stdin) {
    const [id = '', secret = ''] = (await readAll(ctx.io.stdin)).split(/\r?\n/).map((l) => l.trim());
    if (!id || !secret) throw new UserError('--keys-stdin read no access key id and secret (two lines) from standard input', 'e.g. `printf "%s\\n%s\\n" "$ID" "$SECRET" | minicloud backups:target s3://… --endpoint … --keys-stdin`');
    return { accessKeyId: id, secretAccessKey: secret };
  }
  const env = ctx.io.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
  if (!ctx.io.stdin.isTTY) throw new UserError('no keys given for the bucket', 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pipe them (two lines) with --keys-stdin');
  const p = createPrompter(ctx.io);
  try {
    return { accessKeyId: await p.ask('Access key id: '), secretAccessKey: await p.ask('Secret access key: ', true) };
  } finally {
    p.close();
  }
}

const showTarget = (ctx: Ctx, t: BackupTargetInfo) => ctx.out(`Backups are copied to ${t.url} at ${t.endpoint} (region ${t.region}, key ${t.accessKeyId})`);

const target: Command = {
  name: 'backups:target',
  usage: '[s3://bucket/prefix --endpoint URL [--region R] [--keys-stdin] | off]',
  summary: 'copy every backup off the box to an S3-compatible bucket (read back and checked); without arguments, show where',
  help: 'Keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, two lines on standard input (--keys-stdin), or a prompt;\nnever from the command line. The server keeps them in a 0600 file and checks the bucket answers before keeping them.\n`backups:target off` stops copying (the copies stay in the bucket).',
  options: { endpoint: { type: 'string' }, region: { type: 'string' }, 'keys-stdin': { type: 'boolean' } },
  async run(ctx, args) {
    const [url, extra] = args.rest;
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`);
    if (url === undefined) {
      const t = await ctx.client().request<BackupTargetInfo | null>('GET', '/api/backups/target');
      return t ? showTarget(ctx, t) : ctx.out('Backups stay on this server only; set a target with `minicloud backups:target s3://bucket/prefix --endpoint URL`');
    }
    if (url === 'off') {
      const r = await ctx.client().request<{ removed: boolean }>('DELETE', '/api/backups/target');
      return ctx.out(r.removed ? 'Backups are no longer copied off the box (the copies already there stay)' : 'No target was set');
    }
    const endpoint = flag(args, 'endpoint');
    if (!endpoint) throw new UserError('no --endpoint given', 'the S3 API of your provider, e.g. --endpoint https://s3.eu-central-1.amazonaws.com');
    const body: BackupTargetRequest = { url, endpoint, region: flag(args, 'region'), ...(await keys(ctx, Boolean(args.flags['keys-stdin']))) };
    const t = await ctx.client().request<BackupTargetInfo>('PUT', '/api/backups/target', body);
    showTarget(ctx, t);
  },
};

const remote: Command = {
  name: 'backups:remote',
  usage: '<app> [--verify] [--json]',
  summary: "list an app's backups in the off-box target (restore one with `backups:restore`, even on a fresh server)",
  help: '--verify reads every object back and compares its SHA-256 with the manifest: a corrupted copy is named, and the\ncommand exits non-zero.',
  app: true,
  json: true,
  options: { verify: { type: 'boolean' } },
  async run(ctx, args) {
    const verify = Boolean(args.flags.verify);
    const all = await ctx.client().request<RemoteBackupInfo[]>('GET', appPath(args.app, `/backups/remote${verify ? '?verify=1' : ''}`));
    if (args.flags.json) return ctx.out(json(all));
    if (all.length === 0) return ctx.out(`${args.app} has no backups in the off-box target`);
    const check = (b: RemoteBackupInfo) => (b.problem ? 'CORRUPTED' : 'checksums match');
    const rows = all.map((b) => [b.id, time(b.createdAt), bytes(b.size), b.status, b.parts.map((p) => p.name).join(', '), ...(verify ? [check(b)] : [])]);
    for (const line of table(rows, ['ID', 'TIME', 'SIZE', 'STATUS', 'PARTS', ...(verify ? ['READ BACK'] : [])])) ctx.out(line);
    const bad = all.filter((b) => b.problem);
    for (const b of bad) ctx.out(`       ${b.id}: ${b.problem}`);
    if (bad.length) throw new UserError(`${bad.length} backup(s) of ${args.app} in the off-box target are corrupted`, 'restore from another one; make a fresh backup with `minicloud backups:create`');
  },
};

const download: Command = {
  name: 'backups:download',
  usage: '<app> <id> [--output FILE]',
  summary: 'save one backup (its dumps, archives and manifest) as a tar file, fetched from the off-box target if not on the server',
  app: true,
  options: { output: { type: 'string', short: 'o' } },
  async run(ctx, args) {
    const [id, extra] = args.rest;
    if (id === undefined) throw new UserError('no backup id given', `usage: minicloud backups:download ${args.app} <id> (see \`minicloud backups ${args.app}\`)`);
    if (extra !== undefined) throw new UserError(`unexpected argument ${JSON.stringify(extra)}`);
    const file = resolve(ctx.io.cwd, flag(args, 'output') ?? `${args.app}-${id}.tar`);
    if (existsSync(file)) throw new UserError(`${file} exists already`, 'give another name with --output, or move that one away first');
    const res = await ctx.client().raw('GET', appPath(args.app, `/backups/${encodeURIComponent(id)}/download`));
    const partial = `${file}.partial`;
    const fd = openSync(partial, 'wx', 0o600); // a backup holds the app's data: 0600 from the first byte
    try {
      await pipeline(res, createWriteStream('', { fd }));
      if (!res.complete) throw new UserError('the server stopped sending the backup before its end', 'try again');
      renameSync(partial, file);
    } catch (e) {
      rmSync(partial, { force: true });
      throw e instanceof UserError ? e : new UserError(`the backup did not arrive whole: ${(e as Error).message}`, 'try again');
    } finally {
      try { closeSync(fd); } catch { /* closed by the stream */ }
    }
    ctx.out(`Wrote ${file} (${bytes(statSync(file).size)}): manifest.json and each part; check them with \`sha256sum\` against the manifest`);
  },
};

export const offBoxCommands: Command[] = [target, remote, download];
