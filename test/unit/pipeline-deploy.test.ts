// pipeline/deploy: the deploy script's steps in order and its failure messages, with a fake builder and formation
// (the parts that start processes), a real Store and a real pushed archive.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, createLogger, type Deploy, type Release } from '../../src/core/index.ts';
import { loadBuildpacks, type Builder } from '../../src/build/index.ts';
import { DEPLOY_KINDS, Pipeline, sourceTar, type PipelineDeps } from '../../src/pipeline/index.ts';
import { Store } from '../../src/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every step the script takes, as the fakes and the deploy log saw it, in order. */
let steps: string[];
let store: Store;
let dir: string;
/** What the fakes do when called: a test makes one of them fail. */
let fail: { build?: Error; releasePhase?: Error; rollout?: Error };
let ended: Deploy[];
/** The operator's log: internal errors go there, not to the user. */
let operator: string[];

function pipeline(): Pipeline {
  const builder: Builder = {
    name: 'fake',
    unpack: async (tar, into) => {
      mkdirSync(into, { recursive: true });
      execFileSync('tar', ['-xf', tar, '-C', into]);
    },
    build: async (req) => {
      steps.push('build');
      if (fail.build) throw fail.build;
      return { kind: 'dir', dir: req.sourceDir, buildpack: req.plan.buildpack, processes: { web: 'node server.js', release: 'node migrate.js' } };
    },
  };
  const deps: PipelineDeps = {
    store, builder, buildpacks: loadBuildpacks(), sourcesDir: join(dir, 'sources'), buildsDir: join(dir, 'builds'), locksDir: join(dir, 'locks'),
    appUrl: (app) => `http://${app}.example.test`,
    log: {
      append: (_id, line) => void steps.push(line),
      end: (deploy) => { steps.push(`end: ${deploy.status}`); ended.push(deploy); },
    },
    formation: {
      releasePhase: async (r: Release) => { steps.push(`release phase v${r.version}`); if (fail.releasePhase) throw fail.releasePhase; },
      rollout: async (r: Release) => {
        steps.push(`rollout v${r.version}`);
        if (fail.rollout) throw fail.rollout;
        store.apps.setCurrentRelease(r.app, r.version);
      },
    },
    syncCron: async () => void steps.push('cron'),
    logger: createLogger({ sink: { out: (l) => void operator.push(l), err: (l) => void operator.push(l) } }),
  };
  return new Pipeline(deps);
}

/** A pushed deploy of a small Node app, its archive where the build finds it. */
function pushed(app: string, commit = 'a'.repeat(40)): Deploy {
  const deploy = store.deploys.create({ app, kind: 'build', ref: 'main', commit });
  const src = join(dir, 'src', deploy.id);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'package.json'), '{"name":"app","scripts":{"start":"node server.js"}}');
  writeFileSync(join(src, 'server.js'), '');
  mkdirSync(join(dir, 'sources'), { recursive: true });
  execFileSync('tar', ['-cf', sourceTar(join(dir, 'sources'), deploy.id), '-C', src, '.']);
  return deploy;
}

async function run(deploy: Deploy, job: Partial<Parameters<Pipeline['run']>[0]> = {}): Promise<Deploy> {
  steps = [];
  await pipeline().run({ deployId: deploy.id, ...job });
  return store.deploys.get(deploy.id)!;
}

/** An app with v1 live. */
async function live(app: string): Promise<void> {
  store.apps.create(app);
  store.configVars.update(app, { GREETING: 'hello' });
  expect((await run(pushed(app))).status).toBe('succeeded');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmp, 'd-'));
  store = new Store(join(dir, 'state.db'));
  fail = {};
  ended = [];
  operator = [];
});
afterEach(() => store.close());

describe('the deploy script', () => {
  it('builds, releases, runs the release phase, rolls out, schedules cron, then reports', async () => {
    store.apps.create('shop');
    const deploy = await run(pushed('shop'));
    expect(steps).toEqual([
      '-----> Building shop from main (aaaaaaa)',
      '-----> node app detected',
      "-----> `npm start` runs the script's command directly, with no npm process beside it",
      'build',
      '-----> Build succeeded; processes: web, release',
      '-----> Releasing v1',
      'release phase v1',
      'rollout v1',
      '-----> v1 is live at http://shop.example.test',
      'cron',
      'end: succeeded',
    ]);
    expect(deploy).toMatchObject({ status: 'succeeded', release: 1 });
    expect(store.releases.get('shop', 1)?.status).toBe('succeeded');
  });

  it('restarts the current release: no build, no release phase', async () => {
    await live('shop');
    const deploy = await run(store.deploys.create({ app: 'shop', kind: 'restart' }));
    expect(steps).toEqual(['-----> Releasing v1', 'rollout v1', '-----> v1 is live at http://shop.example.test', 'cron', 'end: succeeded']);
    expect(deploy.release).toBe(1);
  });

  it('a config change makes a release with the change, runs the release phase, and keeps the config once it is up', async () => {
    await live('shop');
    await run(store.deploys.create({ app: 'shop', kind: 'release' }, { configChanges: { GREETING: 'hi', EXTRA: '1' } }), { description: 'Set GREETING, EXTRA' });
    expect(steps).toEqual(['-----> Releasing v2', 'release phase v2', 'rollout v2', '-----> v2 is live at http://shop.example.test', 'cron', 'end: succeeded']);
    expect(store.releases.get('shop', 2)).toMatchObject({ description: 'Set GREETING, EXTRA', config: { GREETING: 'hi', EXTRA: '1' } });
    expect(store.configVars.get('shop')).toEqual({ GREETING: 'hi', EXTRA: '1' });
  });

  it('a rollback makes a release of the earlier build and config, with no release phase, and takes the config back', async () => {
    await live('shop');
    await run(store.deploys.create({ app: 'shop', kind: 'release' }, { configChanges: { GREETING: 'hi' } }));
    await run(store.deploys.create({ app: 'shop', kind: 'rollback' }), { targetRelease: 1 });
    expect(steps).toEqual(['-----> Rolling back to v1 (no build)', '-----> Releasing v3', 'rollout v3', '-----> v3 is live at http://shop.example.test', 'cron', 'end: succeeded']);
    expect(store.configVars.get('shop')).toEqual({ GREETING: 'hello' });
  });

  it('a stopped app gets the release as what starts next, with no rollout', async () => {
    await live('shop');
    store.apps.setState('shop', 'stopped');
    await run(store.deploys.create({ app: 'shop', kind: 'restart' }));
    expect(steps).toEqual(['-----> Releasing v1', '-----> shop is stopped: v1 starts with `minicloud apps:start shop`', 'cron', 'end: succeeded']);
  });

  it('has one table of deploy kinds: which run the release phase', () => {
    expect(Object.fromEntries(Object.entries(DEPLOY_KINDS).map(([k, v]) => [k, v.releasePhase])))
      .toEqual({ build: true, image: true, release: true, rollback: false, restart: false });
  });
});

describe('a failed deploy', () => {
  it('says the release before is still serving, and fails the new release', async () => {
    await live('shop');
    fail.rollout = new UserError('v2 did not start: its web process exited', 'see its output with `minicloud logs shop`');
    const deploy = await run(pushed('shop', 'b'.repeat(40)));
    expect(steps.slice(steps.indexOf('rollout v2'))).toEqual([
      'rollout v2',
      ' !     v2 did not start: its web process exited',
      ' !     see its output with `minicloud logs shop`',
      ' !     v1 is still serving',
      'end: failed',
    ]);
    expect(deploy).toMatchObject({ status: 'failed', error: 'v2 did not start: its web process exited', release: 2 });
    expect(store.releases.get('shop', 2)?.status).toBe('failed');
    expect(store.apps.get('shop')?.currentRelease).toBe(1);
  });

  it('says nothing was deployed when no release served before', async () => {
    store.apps.create('shop');
    fail.build = new UserError('npm install failed', 'see the build output above');
    const deploy = await run(pushed('shop'));
    expect(steps).toEqual([
      '-----> Building shop from main (aaaaaaa)',
      '-----> node app detected',
      "-----> `npm start` runs the script's command directly, with no npm process beside it",
      'build',
      ' !     npm install failed',
      ' !     see the build output above',
      ' !     nothing was deployed',
      'end: failed',
    ]);
    expect(deploy).toMatchObject({ status: 'failed', release: null });
  });

  it('a failed release phase rolls nothing out; a failed config change leaves the config vars as they were', async () => {
    await live('shop');
    fail.releasePhase = new UserError('the release command failed with exit code 1; v2 was not deployed', 'fix it (see its output above) and push again');
    await run(store.deploys.create({ app: 'shop', kind: 'release' }, { configChanges: { GREETING: 'hi' } }));
    expect(steps).toEqual([
      '-----> Releasing v2',
      'release phase v2',
      ' !     the release command failed with exit code 1; v2 was not deployed',
      ' !     fix it (see its output above) and push again',
      ' !     the config vars were left as they were',
      ' !     v1 is still serving',
      'end: failed',
    ]);
    expect(store.configVars.get('shop')).toEqual({ GREETING: 'hello' });
  });

  it('says so when there is nothing to release, and tells an internal error as one (its details to the operator)', async () => {
    store.apps.create('shop');
    await run(store.deploys.create({ app: 'shop', kind: 'restart' }));
    expect(steps).toEqual([' !     shop has no release yet', ' !     deploy it first with `git push minicloud main`', ' !     nothing was deployed', 'end: failed']);
    fail.build = new Error('disk full');
    await run(pushed('shop'));
    expect(steps.slice(-3)).toEqual([' !     internal error: disk full', ' !     nothing was deployed', 'end: failed']);
    expect(operator.some((l) => l.includes('failed:') && l.includes('disk full'))).toBe(true);
  });

  it('is not a failure when minicloud is stopping: the deploy is handed to the next process, and never reported here', async () => {
    await live('shop');
    steps = [];
    ended = [];
    const p = pipeline();
    let settled = false;
    fail.rollout = new Error('stopped by the shutdown');
    const deploy = store.deploys.create({ app: 'shop', kind: 'restart' });
    p.abandon();
    void p.run({ deployId: deploy.id }).finally(() => { settled = true; });
    // The rollout fails in the same turn of the event loop; give the script every chance to go on.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(steps).toEqual(['-----> Releasing v1', 'rollout v1']);
    expect(settled).toBe(false);
    expect(store.deploys.get(deploy.id)?.status).toBe('releasing');
    expect(ended).toEqual([]);
  });
});
