// `minicloud prune` and its daily schedule: removes what no release, deploy or app needs any more (builds past the
// kept releases', images the builder no longer wants, build caches, leftover pushed archives, destroyed apps' logs),
// packs git repositories (`git gc`), collects the garbage of minicloud's own swarm registry, and reports storage no
// app mounts, removing it only when asked.
import { execFile } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { diskSpace, type Logger, type PruneItemInfo, type PruneReportInfo, type PruneRequest } from '../core/index.ts';
import type { Builder } from '../build/index.ts';
import type { Store } from '../store/index.ts';
import { appPaths, duBytes, namesIn, type DiskPaths } from './disk-usage.ts';
import { keptRefs } from './prune.ts';

/** A build cache unused this long is stale (the scheduled prune removes only those). */
export const STALE_CACHE_MS = 7 * 24 * 60 * 60_000;
/** A pushed archive with no deploy record is left alone this long (an upload may be on its way to one). */
const ORPHAN_SOURCE_MS = 60 * 60_000;

export interface PruneDeps {
  store: Store;
  paths: DiskPaths;
  builder: Pick<Builder, 'prune'>;
  /**
   * minicloud's own swarm registry: after the builder's prune deleted each app's old tags there, the repositories of
   * apps that are gone are emptied and the layers nothing names removed.
   */
  registry?: { collect(apps: string[]): Promise<{ manifests: number; freed: number; storage: string }> };
  log?: Logger;
  now?: () => number;
}

const gc = (repo: string) => new Promise<void>((resolve) => {
  // Git's own grace period stays (2 weeks for unreachable objects): a push arriving meanwhile loses nothing.
  execFile('git', ['-C', repo, 'gc', '--quiet'], { timeout: 10 * 60_000 }, () => resolve());
});

export class DiskPrune {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneReportInfo> | null = null;

  constructor(private readonly d: PruneDeps) {}

  /** Runs the scheduled prune every `everyMs` (stale caches only, never storage). */
  start(everyMs: number): void {
    if (this.timer || everyMs <= 0) return;
    this.timer = setInterval(() => {
      void this.prune({ caches: 'stale' }).then(
        (r) => { if (r.items.length) this.d.log?.info(`pruned ${r.items.length} item(s), ${r.freed} bytes freed`); },
        (e: unknown) => this.d.log?.warn('the scheduled prune failed:', e),
      );
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** One prune at a time: a second call while one runs gets the same report. */
  prune(o: PruneRequest = {}): Promise<PruneReportInfo> {
    this.running ??= this.run(o).finally(() => { this.running = null; });
    return this.running;
  }

  private busy(app: string): boolean {
    return this.d.store.deploys.list(app).some((x) => x.status !== 'succeeded' && x.status !== 'failed');
  }

  /** Everything to remove (or report), each with its path and why. */
  private plan(o: PruneRequest): { remove: Omit<PruneItemInfo, 'bytes'>[]; dangling: Omit<PruneItemInfo, 'bytes'>[] } {
    const { store, paths: p } = this.d;
    const now = (this.d.now ?? Date.now)();
    const apps = new Set(store.apps.list().map((a) => a.name));
    const remove: Omit<PruneItemInfo, 'bytes'>[] = [];
    const dangling: Omit<PruneItemInfo, 'bytes'>[] = [];
    for (const name of namesIn(p.builds)) {
      if (!apps.has(name)) { remove.push({ what: 'build', app: name, path: join(p.builds, name), why: 'the app is gone' }); continue; }
      const kept = new Set(keptRefs(store, name));
      const active = new Set(store.deploys.list(name).filter((x) => x.status !== 'succeeded' && x.status !== 'failed').map((x) => x.id));
      for (const entry of namesIn(join(p.builds, name))) {
        const path = join(p.builds, name, entry);
        if (!kept.has(path) && !active.has(entry)) remove.push({ what: 'build', app: name, path, why: 'no kept release runs it' });
      }
    }
    for (const name of namesIn(p.cache)) {
      const path = join(p.cache, name);
      if (!apps.has(name)) remove.push({ what: 'cache', app: name, path, why: 'the app is gone' });
      else if (this.busy(name)) continue; // a build is using it
      else if (o.caches === 'all') remove.push({ what: 'cache', app: name, path, why: 'build caches purged (the next build fills it again)' });
      else if (o.caches === 'stale' && now - statSync(path).mtimeMs > STALE_CACHE_MS) remove.push({ what: 'cache', app: name, path, why: 'unused for 7 days' });
    }
    for (const file of safeList(p.sources).filter((f) => f.endsWith('.tar'))) {
      const deploy = store.deploys.get(file.slice(0, -4));
      const path = join(p.sources, file);
      if (deploy ? deploy.status === 'succeeded' || deploy.status === 'failed' : now - statSync(path).mtimeMs > ORPHAN_SOURCE_MS) {
        remove.push({ what: 'source', app: deploy?.app ?? null, path, why: deploy ? 'its deploy has ended' : 'no deploy has it' });
      }
    }
    for (const name of namesIn(p.logs)) if (!apps.has(name)) remove.push({ what: 'log', app: name, path: join(p.logs, name), why: 'the app is gone' });
    for (const name of namesIn(p.github, '.git')) {
      if (!apps.has(name)) remove.push({ what: 'git', app: name, path: join(p.github, `${name}.git`), why: 'the app is gone (a clone of its GitHub repository)' });
    }
    for (const name of namesIn(p.volumes)) {
      if (!apps.has(name)) { dangling.push({ what: 'volume', app: name, path: join(p.volumes, name), why: 'the app is gone' }); continue; }
      const tops = new Set(store.volumes.list(name).map((v) => v.path.split('/')[1]));
      for (const entry of namesIn(join(p.volumes, name))) {
        if (!tops.has(entry)) dangling.push({ what: 'volume', app: name, path: join(p.volumes, name, entry), why: `${name} has no storage at /${entry} any more` });
      }
    }
    return { remove, dangling };
  }

  private async run(o: PruneRequest): Promise<PruneReportInfo> {
    const { remove, dangling } = this.plan(o);
    if (o.volumes) remove.push(...dangling.splice(0));
    const sizes = await duBytes([...remove, ...dangling].map((x) => x.path));
    const items: PruneItemInfo[] = remove.map((x) => ({ ...x, bytes: sizes.get(x.path) ?? 0 }));
    if (!o.dryRun) {
      for (const x of items) rmSync(x.path, { recursive: true, force: true });
      items.push(...await this.packAndImages(), ...await this.registryGarbage());
    }
    const withBytes = dangling.map((x) => ({ ...x, bytes: sizes.get(x.path) ?? 0 }));
    return { dryRun: Boolean(o.dryRun), items, freed: items.reduce((s, x) => s + x.bytes, 0), dangling: withBytes, free: diskSpace(this.d.paths.dataDir).free };
  }

  /** `git gc` of every repository (what it saved), and the builder's images past the kept releases'. */
  private async packAndImages(): Promise<PruneItemInfo[]> {
    const out: PruneItemInfo[] = [];
    for (const a of this.d.store.apps.list()) {
      for (const repo of [appPaths(this.d.paths, a.name).repo, join(this.d.paths.github, `${a.name}.git`)]) {
        const before = (await duBytes([repo])).get(repo) ?? 0;
        if (before === 0) continue;
        await gc(repo);
        const saved = before - ((await duBytes([repo])).get(repo) ?? 0);
        if (saved > 0) out.push({ what: 'git', app: a.name, path: repo, bytes: saved, why: 'git gc packed loose objects' });
      }
      if (this.d.builder.prune && !this.busy(a.name)) {
        await this.d.builder.prune(a.name, keptRefs(this.d.store, a.name)).catch((e: unknown) => this.d.log?.warn(`pruning ${a.name}'s images:`, e));
      }
    }
    return out;
  }

  /** The registry's garbage collection; a failure is logged, the rest of the prune stands. */
  private async registryGarbage(): Promise<PruneItemInfo[]> {
    if (!this.d.registry) return [];
    // A deploy that pushed may have nodes still pulling: they would meet the registry's restarts. A deploy that
    // starts after this check waits for the collection at its push.
    const deploying = this.d.store.apps.list().filter((a) => this.busy(a.name)).map((a) => a.name);
    if (deploying.length) {
      this.d.log?.info(`the swarm registry's garbage collection waits for the next prune: ${deploying.join(', ')} deploying`);
      return [];
    }
    try {
      const r = await this.d.registry.collect(this.d.store.apps.list().map((a) => a.name));
      return [{ what: 'registry', app: null, path: r.storage, bytes: r.freed, why: `garbage collection of the swarm's registry (${r.manifests} manifest(s) of destroyed apps deleted; old releases' went as they were pruned), layers no kept release uses removed` }];
    } catch (e) {
      this.d.log?.warn("the swarm registry's garbage collection failed:", e);
      return [];
    }
  }
}

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}
