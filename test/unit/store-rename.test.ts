// apps:rename in the state file: every row and list naming the app moves, foreign keys hold, the audit log keeps history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-rename-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('moves config, releases (their artifacts too), domains, tokens and people to the new name', () => {
  const store = new Store(join(tmp, 'state.db'));
  store.apps.create('old');
  store.apps.create('other');
  store.configVars.update('old', { K: 'v' });
  store.releases.create({ app: 'old', artifact: { kind: 'dir', dir: '/data/builds/old/1', buildpack: 'node', processes: { web: 'npm start' } }, commit: 'abc1234', description: 'Deploy', config: {} });
  store.domains.add('old', 'www.example.test');
  store.tokens.add({ name: 'ci', hash: 'h'.repeat(64), role: 'deploy', apps: ['other', 'old'] });
  store.audit.add({ actor: 'admin', action: 'apps:create', app: 'old', detail: {}, address: '127.0.0.1', status: 201 });

  store.renameApp('old', 'new', [{ from: '"/data/builds/old/', to: '"/data/builds/new/' }]);

  expect(store.apps.get('old')).toBeNull();
  expect(store.apps.require('new').name).toBe('new');
  expect(store.configVars.get('new')).toEqual({ K: 'v' });
  expect(store.releases.list('new')[0]?.artifact).toMatchObject({ dir: '/data/builds/new/1' });
  expect(store.domains.all()).toEqual([expect.objectContaining({ app: 'new', domain: 'www.example.test' })]);
  expect(store.tokens.list()[0]?.apps).toEqual(['other', 'new']);
  expect(store.audit.list({ app: 'old', limit: 10 })).toHaveLength(1); // history keeps the name it happened under
  // The foreign keys were checked at the end: deleting the app takes its rows.
  store.apps.delete('new');
  expect(store.configVars.get('new')).toEqual({});
  store.close();
});
