// The app catalog: `catalog` (what there is and what each needs), `catalog:info <id>`, and installing an entry
// (`apps:create <name> --from <id> --set KEY=value...`), its first deploy's log streamed as it runs; `apps:upgrade`.
import { UserError, type CatalogEntry, type CatalogList, type LogEvent, type UpgradeInfo } from '../../core/index.ts';
import { appPath, flag, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, keyValues, table } from '../kit/format.ts';

const needs = (e: CatalogEntry) => [
  `${e.memoryMb} MiB`,
  ...(e.addons ?? []).map((a) => a.kind),
  ...(e.volumes ?? []).map((v) => `storage ${v.path}`),
].join(', ');

const list: Command = {
  name: 'catalog',
  usage: '[--json]',
  summary: 'list the apps minicloud installs in one command, with what each needs',
  json: true,
  async run(ctx, args) {
    const c = await ctx.client().request<CatalogList>('GET', '/api/catalog');
    if (args.flags.json) return ctx.out(json(c));
    const rows = c.entries.map((e) => [e.id, e.version, e.name, needs(e)]);
    for (const line of table(rows, ['ID', 'VERSION', 'NAME', 'NEEDS'])) ctx.out(line);
    for (const b of c.broken) ctx.warn(`${b.file} is broken and cannot be installed: ${b.error}`);
    ctx.out();
    ctx.out('Install one with `minicloud apps:create <name> --from <id> --set KEY=value`; see `minicloud catalog:info <id>`.');
  },
};

const info: Command = {
  name: 'catalog:info',
  usage: '<id> [--json]',
  summary: 'what a catalog entry runs, needs and asks for',
  json: true,
  async run(ctx, args) {
    const id = args.rest[0];
    if (!id) throw new UserError('which entry?', 'usage: minicloud catalog:info <id> (see `minicloud catalog`)');
    const e = await ctx.client().request<CatalogEntry>('GET', `/api/catalog/${encodeURIComponent(id)}`);
    if (args.flags.json) return ctx.out(json(e));
    ctx.out(`=== ${e.name} ${e.version} (${e.id})`);
    ctx.out(e.description);
    const pairs: [string, string][] = [
      ['Links', Object.values(e.links).join(' ')], ['Memory', `${e.memoryMb} MiB`],
      ['Add-ons', (e.addons ?? []).map((a) => a.kind).join(', ') || 'none'],
      ['Storage', (e.volumes ?? []).map((v) => `${v.name} at ${v.path}`).join(', ') || 'none'],
      ['Health', e.health.path],
      ['Versions', [e.version, ...(e.versions ?? []).map((v) => v.version)].join(', ')],
      ...Object.entries(e.processes).map(([type, p]): [string, string] => [`Process ${type}`, `${p.image}${p.port ? ` on port ${p.port}` : ''}`]),
      ['Generated', (e.secrets ?? []).map((s) => s.key).join(', ') || 'none'],
    ];
    for (const line of keyValues(pairs)) ctx.out(line);
    if (e.inputs?.length) {
      ctx.out();
      ctx.out('Inputs (--set KEY=value):');
      for (const i of e.inputs) ctx.out(`  ${i.key}  ${i.description}${i.secret ? ' (secret)' : ''}${i.default !== undefined ? ` [default ${i.default}]` : ''}`);
    }
  },
};

/** `--set KEY=value` (repeatable) as a map; the value may hold `=`. */
export function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq < 1) throw new UserError(`--set ${s.includes('=') ? '' : s} needs KEY=value`, 'e.g. --set RADICALE_USER=alice');
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/** apps:create --from: installs the entry, printing the install and its first deploy as they happen. */
export async function installFromCatalog(ctx: Ctx, name: string, id: string, sets: string[]): Promise<number> {
  const body = { name, set: parseSets(sets) };
  const stream = ctx.client().stream<LogEvent>(`/api/catalog/${encodeURIComponent(id)}/apps`, 'POST', body);
  for await (const event of stream) {
    if (event.type === 'line') ctx.out(event.text);
    else if (event.type === 'end') {
      if (event.status !== 'succeeded') {
        ctx.warn(`${name} was made, but its first release did not come up: its config, storage and add-ons stay, for \`minicloud logs ${name}\` to say why; install again after \`minicloud apps:destroy ${name} --confirm ${name}\``);
        return 1;
      }
      ctx.out(`${name} is installed from the catalog: an ordinary app now (config, domains, backups, logs, rollback).`);
      return 0;
    }
  }
  ctx.warn('the install log ended before its deploy did; see `minicloud releases` for how it went');
  return 1;
}

const upgrade: Command = {
  name: 'apps:upgrade',
  usage: '<app> [--to <version>]',
  summary: "move an app installed from the catalog to the entry's newer pinned version (a backup first, rolled back if unhealthy)",
  app: true,
  options: { to: { type: 'string' } },
  help: [
    'Takes a backup of the app, then releases the newer version with the entry\'s commands and health check. If it does',
    'not come up healthy, the version before keeps serving and the command exits non-zero. --to picks another version',
    'the entry lists (see `minicloud catalog:info <id>`); an upgrade only moves forward (`minicloud rollback` goes back).',
  ].join('\n'),
  async run(ctx, args) {
    const { app } = args;
    const to = flag(args, 'to');
    const u = await ctx.client().request<UpgradeInfo>('GET', `${appPath(app)}/upgrade`);
    if (u.installed !== null && u.installed === (to ?? u.newest)) {
      ctx.out(`${app} already runs ${u.name} ${u.installed}${u.installed === u.newest ? ', the newest the catalog has' : ''}.`);
      return 0;
    }
    for await (const event of ctx.client().stream<LogEvent>(`${appPath(app)}/upgrade`, 'POST', to ? { to } : {})) {
      if (event.type === 'line') ctx.out(event.text);
      else if (event.type === 'end') return event.status === 'succeeded' ? 0 : 1;
    }
    ctx.warn(`the upgrade's log ended before its deploy did; see \`minicloud releases ${app}\` for how it went`);
    return 1;
  },
};

export const catalogCommands: Command[] = [list, info, upgrade];
