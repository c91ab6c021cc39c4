// Commands about releases: the list, one release (releases:info) and what changed between two (releases:diff).
import { UserError, type ReleaseDiff, type ReleaseInfo, type ReleaseSummary, type ValueChange } from '../../core/index.ts';
import { appPath, type Command } from '../kit/command.ts';
import type { Ctx } from '../kit/context.ts';
import { json, keyValues, release, table, time } from '../kit/format.ts';

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const author = (a: string | null) => (a ? a.replace(/\s*<[^>]*>$/, '') : '-');

const releases: Command = {
  name: 'releases',
  usage: '<app> [--json]',
  summary: "list an app's releases, newest first",
  app: true,
  json: true,
  async run(ctx, args) {
    const list = await ctx.client().request<ReleaseSummary[]>('GET', appPath(args.app, '/releases'));
    if (args.flags.json) return ctx.out(json(list));
    if (list.length === 0) return ctx.out(`${args.app} has no releases yet; push to deploy it`);
    const rows = list.map((r) => [
      release(r.version) + (r.current ? ' (current)' : ''),
      r.status,
      r.description,
      r.commit ? r.commit.slice(0, 7) : '-',
      author(r.commitAuthor),
      r.commitMessage ? truncate(r.commitMessage, 40) : '-',
      time(r.createdAt),
    ]);
    for (const line of table(rows, ['VERSION', 'STATUS', 'DESCRIPTION', 'COMMIT', 'AUTHOR', 'MESSAGE', 'CREATED'])) ctx.out(line);
  },
};

/** `v3` or `3`, a release number given on the command line. */
export function parseVersion(raw: string): number {
  const m = /^v?(\d{1,9})$/i.exec(raw.trim());
  const n = m ? Number(m[1]) : 0;
  if (n < 1) {
    throw new UserError(`invalid release ${JSON.stringify(raw)}`, 'give a release number such as v3 or 3 (see `minicloud releases <app>`)');
  }
  return n;
}

/** The image or commit a release runs, in one line. */
function buildLine(r: ReleaseInfo): string {
  const commit = r.commit ? `commit ${r.commit.slice(0, 7)}` : null;
  const image = r.image ? `image ${r.image.ref} (${r.image.id.replace(/^sha256:/, '').slice(0, 12)})` : null;
  return [image, commit].filter(Boolean).join(', ') || r.buildpack;
}

const info: Command = {
  name: 'releases:info',
  usage: '<app> vN [--json]',
  summary: 'one release: its commit or image, process types, manifest, formation and config var names (never values)',
  app: true,
  json: true,
  async run(ctx, args) {
    const [raw, extra] = args.rest;
    if (raw === undefined || extra !== undefined) throw new UserError('give one release', `usage: minicloud releases:info ${args.app} v3`);
    const r = await ctx.client().request<ReleaseInfo>('GET', appPath(args.app, `/releases/${parseVersion(raw)}`));
    if (args.flags.json) return ctx.out(json(r));
    ctx.out(`=== ${args.app} ${release(r.version)}${r.current ? ' (current)' : ''}`);
    const pairs: [string, string][] = [
      ['Status', r.status], ['Description', r.description], ['Build', buildLine(r)],
      ['Commit', r.commit ?? '-'], ['Author', r.commitAuthor ?? '-'], ['Message', r.commitMessage ?? '-'],
    ];
    if (r.image?.source) pairs.push(['Source', r.image.source]);
    pairs.push(
      ['Processes', Object.entries(r.processes).map(([t, c]) => `${t}: ${c}`).join('; ') || '-'],
      ['Formation', r.formation ? Object.entries(r.formation).map(([t, n]) => `${t}=${n}`).join(' ') : '-'],
      ['Manifest', Object.keys(r.manifest).length ? JSON.stringify(r.manifest) : '-'],
      ['Config vars', r.configKeys.join(', ') || '-'],
      ['Created', time(r.createdAt)],
    );
    for (const line of keyValues(pairs)) ctx.out(line);
  },
};

const diff: Command = {
  name: 'releases:diff',
  usage: '<app> vA vB [--json]',
  summary: 'what changed from release A to B: image or commit, config var names (values never shown), processes, manifest, formation',
  app: true,
  json: true,
  async run(ctx, args) {
    const [a, b, extra] = args.rest;
    if (a === undefined || b === undefined || extra !== undefined) throw new UserError('give two releases', `usage: minicloud releases:diff ${args.app} v5 v7`);
    const d = await ctx.client().request<ReleaseDiff>('GET', appPath(args.app, `/releases/${parseVersion(a)}/diff/${parseVersion(b)}`));
    if (args.flags.json) return ctx.out(json(d));
    printDiff(ctx, d);
  },
};

/** The diff as sections; a section with nothing in it says so in one line. */
export function printDiff(ctx: Ctx, d: ReleaseDiff): void {
  const [f, t] = [d.from, d.to];
  ctx.out(`=== ${d.app}: ${release(f.version)} → ${release(t.version)}`);
  ctx.out(`${release(f.version)}  ${f.description} (${time(f.createdAt)})`);
  ctx.out(`${release(t.version)}  ${t.description} (${time(t.createdAt)})`);
  ctx.out();
  ctx.out(d.sameBuild ? `Build: unchanged (${buildLine(t)})` : `Build: ${buildLine(f)} → ${buildLine(t)}`);
  if (!d.sameBuild && (f.commitMessage || t.commitMessage)) ctx.out(`  message: ${f.commitMessage ?? '-'} → ${t.commitMessage ?? '-'}`);
  if (!d.sameBuild && (f.commitAuthor || t.commitAuthor)) ctx.out(`  author: ${author(f.commitAuthor)} → ${author(t.commitAuthor)}`);
  const c = d.config;
  if (c.added.length + c.removed.length + c.changed.length === 0) ctx.out('Config vars: unchanged');
  else {
    ctx.out('Config vars (values not shown):');
    for (const k of c.added) ctx.out(`  + ${k}`);
    for (const k of c.removed) ctx.out(`  - ${k}`);
    for (const k of c.changed) ctx.out(`  ~ ${k} (changed)`);
  }
  section(ctx, 'Processes', d.processes);
  section(ctx, 'Manifest', d.manifest);
  if (f.formation === null || t.formation === null) ctx.out('Formation: not recorded for releases this old');
  else section(ctx, 'Formation', d.formation);
}

function section(ctx: Ctx, title: string, changes: ValueChange[]): void {
  if (changes.length === 0) return ctx.out(`${title}: unchanged`);
  ctx.out(`${title}:`);
  for (const ch of changes) {
    if (ch.from === null) ctx.out(`  + ${ch.name}: ${ch.to}`);
    else if (ch.to === null) ctx.out(`  - ${ch.name}: ${ch.from}`);
    else ctx.out(`  ~ ${ch.name}: ${ch.from} → ${ch.to}`);
  }
}

export const releaseCommands: Command[] = [releases, info, diff];
