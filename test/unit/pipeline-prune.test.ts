import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { pruneBuilds } from '../../src/pipeline/prune.ts';
import { Store } from '../../src/store/index.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('keeps the builds of the newest succeeded releases and of running deploys, removes the rest', () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-prune-'));
  const store = new Store(join(dir, 'db.sqlite'));
  const builds = join(dir, 'builds');
  store.apps.create('app');
  const refs: string[] = [];
  for (let i = 1; i <= 4; i++) {
    const ref = join(builds, 'app', `build-${i}`);
    mkdirSync(ref, { recursive: true });
    refs.push(ref);
    const r = store.releases.create({ app: 'app', artifact: { kind: 'dir', dir: ref, buildpack: 'node', processes: { web: 'x' } }, commit: null, description: '', config: {} });
    store.releases.setStatus('app', r.version, i === 3 ? 'failed' : 'succeeded');
  }
  store.apps.setCurrentRelease('app', 4);
  const running = store.deploys.create({ app: 'app', kind: 'build' });
  mkdirSync(join(builds, 'app', running.id));
  mkdirSync(join(builds, 'app', 'stray'));

  pruneBuilds(store, builds, 'app', 2);

  expect(refs.map((r) => existsSync(r))).toEqual([false, true, false, true]);
  expect(existsSync(join(builds, 'app', running.id))).toBe(true);
  expect(existsSync(join(builds, 'app', 'stray'))).toBe(false);
  store.close();
});
