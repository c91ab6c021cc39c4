// Preview apps per branch: made on the first push of a matching branch (the parent's config without its add-ons'
// vars, add-ons of their own, never the parent's domains), destroyed with the branch, on expiry, or capped.
import { UserError, branchMatches, checkConfigChanges, previewNames, validateBranchPattern } from '../core/index.ts';
import type { Preview, PreviewSettings, Store } from '../store/index.ts';
import type { AppsService } from './service.ts';

export interface PreviewsDeps {
  store: Store;
  service: AppsService;
  /** Attaches an add-on of `kind` to the (new, unreleased) preview app: its own database, user, vhost or prefix. */
  attachAddon: (app: string, kind: string) => Promise<void>;
  /** How many previews may exist at once on this server (MINICLOUD_MAX_PREVIEWS). */
  max: number;
  /** Idle previews sleep after this many seconds without a request (they start again on the next one). */
  sleepAfterSeconds: number;
  /** Each preview's memory limit (MiB, MINICLOUD_PREVIEW_MEMORY): with the cap on their number, what previews may take. */
  memoryMb: number;
}

export interface PreviewsStatus { settings: PreviewSettings | null; previews: Preview[] }

export class PreviewsService {
  /** The previews being made, one at a time: the cap is checked and the preview recorded across awaits. */
  private making: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: PreviewsDeps) {}

  enable(app: string, branches: string, expireSeconds: number | null): PreviewSettings {
    const a = this.d.store.apps.require(app);
    if (this.d.store.previews.get(a.name)) throw new UserError(`${a.name} is a preview itself`, 'enable previews on the app it previews');
    return this.d.store.previews.enable(a.name, validateBranchPattern(branches), expireSeconds);
  }

  /** Sets (string) and unsets (null) config vars previews get over the parent's; previews made from now on get them. */
  updateConfig(app: string, changes: Record<string, string | null>): PreviewSettings {
    const settings = this.d.store.previews.settings(this.d.store.apps.require(app).name);
    if (!settings) throw new UserError(`${app} has no previews`, `turn them on first: \`minicloud previews:enable ${app}\``);
    checkConfigChanges(settings.config, changes);
    const config = { ...settings.config };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete config[k];
      else config[k] = v;
    }
    this.d.store.previews.setConfig(settings.app, config);
    return this.d.store.previews.settings(settings.app)!;
  }

  /** Stops making new previews; the ones there are stay until their branch goes (or `destroyAll`). */
  disable(app: string): void {
    this.d.store.previews.disable(this.d.store.apps.require(app).name);
  }

  status(app: string): PreviewsStatus {
    const a = this.d.store.apps.require(app);
    return { settings: this.d.store.previews.settings(a.name), previews: this.d.store.previews.list(a.name) };
  }

  /** Whether a push of `branch` to `app` is a preview's (not the deploy branch, previews on, the pattern matches). */
  wants(app: string, branch: string): boolean {
    const s = this.d.store.previews.settings(app);
    return s !== null && branch !== this.d.store.apps.require(app).deployBranch && branchMatches(s.branches, branch);
  }

  /** Refuses, before anything is uploaded, a new preview beyond the cap. */
  check(app: string, branch: string): void {
    if (this.d.store.previews.byBranch(app, branch)) return;
    const all = this.d.store.previews.list();
    if (all.length >= this.d.max) {
      throw new UserError(`no preview for ${branch}: this server has ${all.length} preview${all.length === 1 ? '' : 's'}, its limit (MINICLOUD_MAX_PREVIEWS=${this.d.max})`,
        `delete a preview's branch (e.g. \`git push minicloud :${all[0]!.branch}\`), or ask the operator to raise the limit`, 429);
    }
  }

  /**
   * The preview app of `branch`, made now if it has none. One at a time: two pushes of new branches at once would
   * otherwise both pass the cap before either preview is recorded.
   */
  ensure(app: string, branch: string): Promise<string> {
    const run = this.making.then(() => this.ensureNow(app, branch));
    this.making = run.catch(() => {});
    return run;
  }

  private async ensureNow(app: string, branch: string): Promise<string> {
    const { store } = this.d;
    const known = store.previews.byBranch(app, branch);
    if (known) {
      store.previews.pushed(known.app);
      return known.app;
    }
    this.check(app, branch);
    const name = previewNames(app, branch).find((n) => store.apps.get(n) === null);
    if (!name) throw new UserError(`no free app name for a preview of ${branch}`, `rename the branch, or destroy \`${previewNames(app, branch).join('`, `')}\``);
    await this.d.service.create(name);
    store.previews.add(name, app, branch);
    try {
      await this.copyFrom(app, name, branch);
    } catch (e) {
      await this.d.service.destroy(name, name).catch(() => {});
      throw e;
    }
    return name;
  }

  /**
   * The parent's config, less what its add-ons set (the preview gets add-ons of its own), then the preview-only
   * config (config:set --preview) over both; no domains, no volumes' data. MINICLOUD_PREVIEW_OF and _BRANCH say what
   * it previews, so a release command can seed its empty database.
   */
  private async copyFrom(parent: string, preview: string, branch: string): Promise<void> {
    const { store } = this.d;
    const addons = store.addons.list(parent);
    const theirs = new Set(addons.flatMap((a) => a.envKeys));
    const config = Object.fromEntries(Object.entries(store.configVars.get(parent)).filter(([k]) => !theirs.has(k)));
    store.configVars.update(preview, { ...config, MINICLOUD_PREVIEW_OF: parent, MINICLOUD_PREVIEW_BRANCH: branch });
    for (const a of addons) await this.d.attachAddon(preview, a.kind);
    const own = store.previews.settings(parent)?.config ?? {};
    if (Object.keys(own).length) store.configVars.update(preview, own);
    store.apps.setSleepAfter(preview, this.d.sleepAfterSeconds);
    store.apps.setMemory(preview, this.d.memoryMb);
  }

  /** Destroys the preview of `branch` and all it made; its name, or null when the branch had none. */
  async destroy(app: string, branch: string): Promise<string | null> {
    const p = this.d.store.previews.byBranch(app, branch);
    if (!p) return null;
    await this.d.service.destroy(p.app, p.app);
    return p.app;
  }

  /** The parent goes: its previews go first, with all they made. */
  async destroyAllOf(parent: string): Promise<void> {
    for (const p of this.d.store.previews.list(parent)) await this.d.service.destroy(p.app, p.app);
  }

  /** Destroys the previews whose last push is older than their parent's expiry; their names. */
  async expire(now = Date.now()): Promise<string[]> {
    const gone: string[] = [];
    for (const p of this.d.store.previews.list()) {
      const after = this.d.store.previews.settings(p.parent)?.expireSeconds;
      if (!after || now - Date.parse(p.pushedAt) < after * 1000) continue;
      await this.d.service.destroy(p.app, p.app);
      gone.push(p.app);
    }
    return gone;
  }
}
