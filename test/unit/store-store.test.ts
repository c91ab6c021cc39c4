// store: the SQLite state file, through a real database in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UserError, type Artifact } from '../../src/core/index.ts';
import { Store, type StoredInstance } from '../../src/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
let file: string;
let store: Store;
beforeEach(() => {
  file = join(tmp, `db-${++n}`, 'state.db');
  store = new Store(file);
});
afterEach(() => {
  try { store.close(); } catch { /* already closed by the test */ }
});

const artifact = (dir = '/builds/x'): Artifact => ({ kind: 'dir', dir, buildpack: 'node', processes: { web: 'npm start' } });
const release = (app: string, config: Record<string, string> = {}) =>
  store.releases.create({ app, artifact: artifact(), commit: 'abc1234', description: 'Deploy abc1234', config });

const instance = (app: string, id: string, over: Partial<StoredInstance> = {}): StoredInstance => ({
  id, app, release: 1, type: 'web', host: '127.0.0.1', port: 5000, pid: 123, handle: '{"pid":123,"start":"1"}',
  state: 'starting', startedAt: new Date().toISOString(), restarts: 0, nextRestartAt: null, ...over,
});

describe('apps', () => {
  it('creates an app with defaults, finds it, and lists apps by name', () => {
    const a = store.apps.create('hello');
    expect(a).toMatchObject({ name: 'hello', deployBranch: 'main', currentRelease: null, state: 'running' });
    expect(Number.isNaN(Date.parse(a.createdAt))).toBe(false);
    store.apps.create('abc', 'production');
    expect(store.apps.get('abc')?.deployBranch).toBe('production');
    expect(store.apps.get('nope')).toBeNull();
    expect(store.apps.list().map((x) => x.name)).toEqual(['abc', 'hello']);
  });

  it('refuses a duplicate with a 409 UserError that hints at apps:info', () => {
    store.apps.create('hello');
    let err: unknown;
    try { store.apps.create('hello'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UserError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as UserError).status).toBe(409);
    expect((err as UserError).message).toContain('hello');
    expect((err as UserError).hint).toContain('apps:info hello');
    expect(store.apps.list()).toHaveLength(1);
  });

  it('requireApp throws a 404 NotFoundError whose hint says how to list or create it', () => {
    let err: unknown;
    try { store.apps.require('ghost'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).status).toBe(404);
    expect((err as NotFoundError).message).toContain('ghost');
    expect((err as NotFoundError).hint).toContain('minicloud apps');
    expect((err as NotFoundError).hint).toContain('apps:create ghost');
    store.apps.create('ghost');
    expect(store.apps.require('ghost').name).toBe('ghost');
  });

  it('sets the current release and the desired state', () => {
    store.apps.create('a');
    const r = release('a');
    store.apps.setCurrentRelease('a', r.version);
    store.apps.setState('a', 'stopped');
    expect(store.apps.get('a')).toMatchObject({ currentRelease: 1, state: 'stopped' });
    expect(store.releases.current('a')?.version).toBe(1);
    expect(store.releases.current('nope')).toBeNull();
  });

  it('deleting an app removes its config, releases, deploys, logs and instances, and nothing of other apps', () => {
    for (const app of ['doomed', 'kept']) {
      store.apps.create(app);
      store.configVars.update(app, { K: 'v' });
      release(app);
      const d = store.deploys.create({ app, kind: 'build' });
      store.deployLogs.append(d.id, 'line');
      store.instances.save(instance(app, `${app}-i1`));
    }
    const doomedDeploy = store.deploys.list('doomed')[0]!;
    store.apps.delete('doomed');

    expect(store.apps.get('doomed')).toBeNull();
    expect(store.configVars.get('doomed')).toEqual({});
    expect(store.releases.list('doomed')).toEqual([]);
    expect(store.deploys.list('doomed')).toEqual([]);
    expect(store.deploys.get(doomedDeploy.id)).toBeNull();
    expect(store.deployLogs.lines(doomedDeploy.id)).toEqual([]);
    expect(store.instances.list('doomed')).toEqual([]);
    const count = (table: string) => (store.db.prepare(`SELECT COUNT(*) AS c FROM ${table}`).get() as { c: number }).c;
    expect(['apps', 'config_vars', 'releases', 'deploys', 'deploy_logs', 'instances'].map(count)).toEqual([1, 1, 1, 1, 1, 1]);

    expect(store.configVars.get('kept')).toEqual({ K: 'v' });
    expect(store.releases.list('kept')).toHaveLength(1);
    expect(store.deployLogs.lines(store.deploys.list('kept')[0]!.id)).toHaveLength(1);
    expect(store.instances.list('kept')).toHaveLength(1);
    // the name is free again
    expect(store.apps.create('doomed').currentRelease).toBeNull();
  });
});

describe('config vars', () => {
  it('sets and unsets in one call, returning the whole new config sorted by key', () => {
    store.apps.create('a');
    expect(store.configVars.update('a', { B: '2', A: '1', GONE: 'x' })).toEqual({ A: '1', B: '2', GONE: 'x' });
    const next = store.configVars.update('a', { A: 'one', GONE: null, C: '3', NEVER_SET: null });
    expect(next).toEqual({ A: 'one', B: '2', C: '3' });
    expect(Object.keys(next)).toEqual(['A', 'B', 'C']);
    expect(store.configVars.get('a')).toEqual(next);
  });

  it('keeps values as given: empty, multi-line, unicode', () => {
    store.apps.create('a');
    const values = { EMPTY: '', MULTI: 'line1\nline2', UNI: 'héllo ✓', EQ: 'a=b=c' };
    expect(store.configVars.update('a', values)).toEqual(values);
  });

  it('applies all or nothing: a change for a missing app fails without partial writes', () => {
    store.apps.create('a');
    expect(() => store.configVars.update('missing', { A: '1' })).toThrow();
    expect(store.configVars.get('missing')).toEqual({});
  });
});

describe('releases', () => {
  it('numbers releases 1, 2, 3 per app, independently, as pending with their artifact and config', () => {
    store.apps.create('a');
    store.apps.create('b');
    expect(release('a').version).toBe(1);
    expect(release('a').version).toBe(2);
    expect(release('b').version).toBe(1);
    const r3 = release('a', { X: 'y' });
    expect(r3).toMatchObject({ app: 'a', version: 3, status: 'pending', commit: 'abc1234', config: { X: 'y' }, artifact: artifact() });
    expect(release('b').version).toBe(2);
    expect(store.releases.list('a').map((r) => r.version)).toEqual([3, 2, 1]);
    expect(store.releases.list('b').map((r) => r.version)).toEqual([2, 1]);
  });

  it('records a release status', () => {
    store.apps.create('a');
    release('a');
    store.releases.setStatus('a', 1, 'succeeded');
    expect(store.releases.get('a', 1)?.status).toBe('succeeded');
    expect(store.releases.get('a', 9)).toBeNull();
  });

  it('refuses a release for an app that does not exist', () => {
    expect(() => release('ghost')).toThrow();
  });

  it('finds the current release (none before the first, nor for an unknown app) and the next version', () => {
    store.apps.create('a');
    expect(store.releases.current('a')).toBeNull();
    expect(store.releases.current('ghost')).toBeNull();
    release('a');
    release('a', { X: '2' });
    expect(store.releases.nextVersion('a')).toBe(3);
    store.apps.setCurrentRelease('a', 2);
    expect(store.releases.current('a')).toMatchObject({ version: 2, config: { X: '2' } });
  });

  it('sets vars in every release config of one app, keeping the others', () => {
    store.apps.create('a');
    store.apps.create('b');
    release('a', { DATABASE_URL: 'old', K: '1' });
    release('a', { K: '2' });
    release('b', { DATABASE_URL: 'old' });
    store.releases.setInEveryConfig('a', { DATABASE_URL: 'new' });
    expect(store.releases.list('a').map((r) => r.config)).toEqual([{ K: '2', DATABASE_URL: 'new' }, { DATABASE_URL: 'new', K: '1' }]);
    expect(store.releases.get('b', 1)?.config).toEqual({ DATABASE_URL: 'old' });
  });
});

describe('deploys', () => {
  it('starts queued without finishedAt; only succeeded or failed set finishedAt, and it then stays put', async () => {
    store.apps.create('a');
    const d = store.deploys.create({ app: 'a', kind: 'build', ref: 'refs/heads/main', commit: 'deadbeef' });
    expect(d).toMatchObject({ app: 'a', kind: 'build', status: 'queued', ref: 'refs/heads/main', commit: 'deadbeef', release: null, error: null, finishedAt: null });
    expect(store.deploys.update(d.id, { status: 'building' }).finishedAt).toBeNull();
    expect(store.deploys.update(d.id, { status: 'releasing', release: 4 })).toMatchObject({ status: 'releasing', release: 4, finishedAt: null });
    const done = store.deploys.update(d.id, { status: 'succeeded' });
    expect(done.status).toBe('succeeded');
    expect(done.release).toBe(4); // untouched by a patch that does not name it
    expect(done.finishedAt).not.toBeNull();
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(d.createdAt));
    await new Promise((r) => setTimeout(r, 5));
    expect(store.deploys.update(d.id, { error: 'late note' }).finishedAt).toBe(done.finishedAt);
  });

  it('a failed deploy keeps its error and gets finishedAt', () => {
    store.apps.create('a');
    const d = store.deploys.create({ app: 'a', kind: 'release' });
    const f = store.deploys.update(d.id, { status: 'failed', error: 'boom' });
    expect(f).toMatchObject({ status: 'failed', error: 'boom', ref: null, commit: null });
    expect(f.finishedAt).not.toBeNull();
  });

  it('throws when updating a deploy that does not exist', () => {
    expect(() => store.deploys.update('nope', { status: 'failed' })).toThrow(/nope/);
  });

  it('lists deploys newest first and finds the latest, by kind too', () => {
    store.apps.create('a');
    const d1 = store.deploys.create({ app: 'a', kind: 'build' });
    const d2 = store.deploys.create({ app: 'a', kind: 'release' });
    const d3 = store.deploys.create({ app: 'a', kind: 'build' });
    expect(store.deploys.list('a').map((d) => d.id)).toEqual([d3.id, d2.id, d1.id]);
    expect(store.deploys.list('a', 2).map((d) => d.id)).toEqual([d3.id, d2.id]);
    expect(store.deploys.latest('a')?.id).toBe(d3.id);
    expect(store.deploys.latest('a', 'release')?.id).toBe(d2.id);
    expect(store.deploys.latest('a', 'restart')).toBeNull();
  });

  it('appendLog numbers lines 1, 2, 3 per deploy; logLines reads after a seq', () => {
    store.apps.create('a');
    const d1 = store.deploys.create({ app: 'a', kind: 'build' });
    const d2 = store.deploys.create({ app: 'a', kind: 'build' });
    expect(store.deployLogs.append(d1.id, 'one').seq).toBe(1);
    expect(store.deployLogs.append(d1.id, 'two').seq).toBe(2);
    expect(store.deployLogs.append(d2.id, 'other').seq).toBe(1);
    const three = store.deployLogs.append(d1.id, 'three');
    expect(three).toMatchObject({ seq: 3, text: 'three' });
    expect(Number.isNaN(Date.parse(three.time))).toBe(false);
    expect(store.deployLogs.lines(d1.id).map((l) => [l.seq, l.text])).toEqual([[1, 'one'], [2, 'two'], [3, 'three']]);
    expect(store.deployLogs.lines(d1.id, 1).map((l) => l.text)).toEqual(['two', 'three']);
    expect(store.deployLogs.lines(d1.id, 3)).toEqual([]);
  });
});

describe('instances', () => {
  it('saves, updates in place, lists by app and type, and deletes', () => {
    store.apps.create('a');
    store.apps.create('b');
    store.instances.save(instance('a', 'i-web'));
    store.instances.save(instance('a', 'i-worker', { type: 'worker' }));
    store.instances.save(instance('b', 'i-b'));
    store.instances.save(instance('a', 'i-web', { state: 'crashed', pid: null, handle: null, restarts: 2, port: 5001 }));
    expect(store.instances.list('a').map((i) => [i.id, i.state, i.restarts, i.port, i.pid, i.handle])).toEqual([
      ['i-web', 'crashed', 2, 5001, null, null],
      ['i-worker', 'starting', 0, 5000, 123, '{"pid":123,"start":"1"}'],
    ]);
    expect(store.instances.list().map((i) => i.id)).toEqual(['i-web', 'i-worker', 'i-b']);
    store.instances.delete('i-web');
    expect(store.instances.list('a').map((i) => i.id)).toEqual(['i-worker']);
  });
});

describe('tokens', () => {
  it('stores a hash per named token, and replaces the boot token when its secret changes', () => {
    const ci = store.tokens.add({ name: 'ci', hash: 'h1', role: 'deploy', apps: ['a'] });
    expect(store.tokens.byHash('h1')).toMatchObject({ name: 'ci', role: 'deploy', apps: ['a'], user: null, lastUsedAt: null });
    expect(() => store.tokens.add({ name: 'ci', hash: 'h9', role: 'read', apps: null })).toThrow(/already exists/);
    store.tokens.setBoot('admin', 'A');
    const first = store.tokens.byName('admin')!;
    store.tokens.setBoot('admin', 'A'); // restarted, same MINICLOUD_TOKEN
    expect(store.tokens.byName('admin')!.id).toBe(first.id);
    store.tokens.setBoot('admin', 'B'); // MINICLOUD_TOKEN changed
    expect(store.tokens.byHash('A')).toBeNull();
    expect(store.tokens.byName('admin')).toMatchObject({ role: 'admin', apps: null });
    expect(store.tokens.byName('admin')!.id).not.toBe(first.id);
    expect(store.tokens.delete('ci')).toBe(true);
    expect(store.tokens.byId(ci.id)).toBeNull();
  });
});
