// store: the state file itself (its mode, what survives close and reopen, its directories), through a real database.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Artifact } from '../../src/core/index.ts';
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
const release = (app: string) => store.releases.create({ app, artifact: artifact(), commit: 'abc1234', description: 'Deploy abc1234', config: {} });
const instance = (app: string, id: string, over: Partial<StoredInstance> = {}): StoredInstance => ({
  id, app, release: 1, type: 'web', host: '127.0.0.1', port: 5000, pid: 123, handle: '{"pid":123,"start":"1"}',
  state: 'starting', startedAt: new Date().toISOString(), restarts: 0, nextRestartAt: null, ...over,
});

describe('the state file', () => {
  it('is readable only by its owner and keeps everything across close and reopen', () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    store.apps.create('persist', 'prod');
    store.configVars.update('persist', { SECRET: 's' });
    const r = release('persist');
    store.apps.setCurrentRelease('persist', r.version);
    const d = store.deploys.create({ app: 'persist', kind: 'build' });
    store.deployLogs.append(d.id, 'hello');
    store.deploys.update(d.id, { status: 'succeeded', release: 1 });
    store.instances.save(instance('persist', 'i1', { state: 'up' }));
    store.tokens.add({ name: 'me', hash: 'hash', role: 'read', apps: null });
    store.close();

    store = new Store(file);
    expect(store.apps.get('persist')).toMatchObject({ deployBranch: 'prod', currentRelease: 1 });
    expect(store.configVars.get('persist')).toEqual({ SECRET: 's' });
    expect(store.releases.get('persist', 1)?.artifact).toEqual(artifact());
    expect(store.deploys.get(d.id)).toMatchObject({ status: 'succeeded', release: 1 });
    expect(store.deployLogs.lines(d.id).map((l) => l.text)).toEqual(['hello']);
    expect(store.instances.list('persist')[0]).toMatchObject({ id: 'i1', state: 'up' });
    expect(store.tokens.byHash('hash')?.name).toBe('me');
    // numbering carries on after reopening
    expect(release('persist').version).toBe(2);
    expect(store.deployLogs.append(d.id, 'more').seq).toBe(2);
  });

  it('creates missing parent directories', () => {
    const deep = join(tmp, `deep-${n}`, 'a', 'b', 'state.db');
    const s = new Store(deep);
    s.apps.create('x');
    s.close();
    expect(statSync(deep).isFile()).toBe(true);
  });
});
