// Previews' pure parts and their bookkeeping: which branches match, the preview's name, the cap, expiry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PreviewsService, type AppsService } from '../../src/apps/index.ts';
import { branchMatches, previewNames, validateAppName } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-previews-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('branch patterns', () => {
  it('* stops at /, ** does not, ? is one character, the rest is literal', () => {
    expect(branchMatches('feature/*', 'feature/x')).toBe(true);
    expect(branchMatches('feature/*', 'feature/x/y')).toBe(false);
    expect(branchMatches('feature/**', 'feature/x/y')).toBe(true);
    expect(branchMatches('feature/*', 'feature/')).toBe(true);
    expect(branchMatches('*', 'main')).toBe(true);
    expect(branchMatches('*', 'a/b')).toBe(false);
    expect(branchMatches('**', 'a/b')).toBe(true);
    expect(branchMatches('v?', 'v1')).toBe(true);
    expect(branchMatches('v?', 'v12')).toBe(false);
    expect(branchMatches('fix-*-ui', 'fix-menu-ui')).toBe(true);
    expect(branchMatches('fix-*-ui', 'fix-menu-api')).toBe(false);
  });

  it('take linear time on a hostile pattern and name', () => {
    const started = process.hrtime.bigint();
    expect(branchMatches('*a*a*a*a*a*a*a*a*a*a*a*a!', 'a'.repeat(250))).toBe(false);
    // A property with a generous margin: a backtracking matcher takes minutes here.
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });
});

describe('preview names', () => {
  it('are <app>-<branch> as an app name, with a hashed fallback that always fits', () => {
    expect(previewNames('shop', 'feature/x')).toEqual(['shop-feature-x', expect.stringMatching(/^shop-feature-x-[0-9a-f]{6}$/)]);
    const long = previewNames('shop', `feature/${'very-long-'.repeat(10)}`);
    expect(long).toHaveLength(1);
    expect(long[0]!.length).toBeLessThanOrEqual(63);
    for (const b of ['feature/x', '---', 'ÜBER/ß', `x${'-'.repeat(80)}y`, 'A__B']) for (const n of previewNames('shop', b)) expect(validateAppName(n)).toBe(n);
    expect(previewNames('shop', 'feature/x')[1]).not.toBe(previewNames('shop', 'feature-x')[1]);
  });
});

describe('PreviewsService', () => {
  const store = new Store(join(tmp, 'state.db'));
  const destroyed: string[] = [];
  const service = {
    create: async (name: string) => store.apps.create(name),
    destroy: async (name: string) => { destroyed.push(name); store.apps.delete(name); },
  } as unknown as AppsService;
  const previews = new PreviewsService({ store, service, attachAddon: async () => {}, max: 2, sleepAfterSeconds: 900, memoryMb: 256 });
  store.apps.create('shop');

  it('makes previews of matching branches only, up to the cap, then refuses saying how to free one', async () => {
    previews.enable('shop', 'feature/*', 3600);
    expect(previews.wants('shop', 'feature/a')).toBe(true);
    expect(previews.wants('shop', 'main')).toBe(false);
    expect(previews.wants('shop', 'fix/a')).toBe(false);
    store.configVars.update('shop', { GREETING: 'hi' });
    previews.updateConfig('shop', { GREETING: 'preview', GONE: 'x' });
    previews.updateConfig('shop', { GONE: null });
    expect(() => previews.updateConfig('shop', { PORT: '1' })).toThrow('PORT cannot be set');
    expect(await previews.ensure('shop', 'feature/a')).toBe('shop-feature-a');
    expect(store.configVars.get('shop-feature-a')).toEqual({ GREETING: 'preview', MINICLOUD_PREVIEW_OF: 'shop', MINICLOUD_PREVIEW_BRANCH: 'feature/a' });
    expect(store.configVars.get('shop')).toEqual({ GREETING: 'hi' });
    expect(store.apps.get('shop-feature-a')).toMatchObject({ sleepAfterSeconds: 900, memoryMb: 256 });
    expect(await previews.ensure('shop', 'feature/a')).toBe('shop-feature-a'); // the same one again
    await previews.ensure('shop', 'feature/b');
    await expect(previews.ensure('shop', 'feature/c')).rejects.toThrow('no preview for feature/c: this server has 2 previews, its limit (MINICLOUD_MAX_PREVIEWS=2)');
    expect(() => previews.enable('shop-feature-a', '*', null)).toThrow('shop-feature-a is a preview itself');
  });

  it('destroys previews idle past the expiry, and none pushed since', async () => {
    const inTwoHours = Date.now() + 2 * 3600 * 1000;
    store.previews.pushed('shop-feature-b');
    expect((await previews.expire(Date.now())).sort()).toEqual([]);
    expect((await previews.expire(inTwoHours)).sort()).toEqual(['shop-feature-a', 'shop-feature-b']);
    expect(store.previews.list('shop')).toEqual([]);
  });

  it('holds the cap when pushes of new branches race', async () => {
    await previews.ensure('shop', 'feature/a');
    const both = await Promise.allSettled([previews.ensure('shop', 'feature/c'), previews.ensure('shop', 'feature/d')]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(store.previews.list('shop')).toHaveLength(2);
    await previews.expire(Date.now() + 2 * 3600 * 1000);
  });
});
