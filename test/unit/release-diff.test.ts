// Two releases compared (config names only, manifest by field, formation per type), an image's OCI labels read
// defensively, and an image deploy's body checked: the pure parts of releases:diff and of CI-built releases.
import { describe, expect, it } from 'vitest';
import { parseImageDeploy } from '../../src/api/inputs.ts';
import { originOf } from '../../src/build/image-import.ts';
import { diffReleases, releaseInfo, wantedFormation, type Release } from '../../src/core/index.ts';

const rel = (version: number, over: Partial<Release> = {}): Release => ({
  app: 'shop', version, status: 'succeeded', commit: null, commitAuthor: null, commitMessage: null, description: `v${version}`,
  artifact: { kind: 'image', image: `minicloud/shop:v${version}`, buildpack: 'node', processes: { web: 'node server.js' } },
  config: {}, formation: { web: 1 }, createdAt: '2026-01-01T00:00:00Z', ...over,
});

describe('diffReleases', () => {
  it('names config vars added, removed and changed, and no value anywhere in its answer', () => {
    const a = rel(5, { config: { KEEP: 'same-value', GONE: 'gone-value', SECRET: 'old-secret' } });
    const b = rel(7, { config: { KEEP: 'same-value', SECRET: 'new-secret', NEW: 'new-value' } });
    const d = diffReleases(a, b, 7);
    expect(d.config).toEqual({ added: ['NEW'], removed: ['GONE'], changed: ['SECRET'] });
    const text = JSON.stringify(d);
    for (const v of ['same-value', 'gone-value', 'old-secret', 'new-secret', 'new-value']) expect(text).not.toContain(v);
    expect(d.to.current).toBe(true);
    expect(d.to.configKeys).toEqual(['KEEP', 'NEW', 'SECRET']);
  });

  it('compares the manifest field by field, the processes by type and the formation by count', () => {
    const a = rel(1, { artifact: { kind: 'dir', dir: '/b/1', buildpack: 'node', processes: { web: 'node a.js', worker: 'node w.js' }, manifest: { healthcheck: { path: '/' }, cron: [{ schedule: '* * * * *', command: 'x' }] } } });
    const b = rel(2, { artifact: { kind: 'dir', dir: '/b/2', buildpack: 'node', processes: { web: 'node b.js', clock: 'node c.js' }, manifest: { healthcheck: { path: '/up', startTimeoutSeconds: 9 } } }, formation: { web: 3, clock: 1 } });
    const d = diffReleases(a, b, null);
    expect(d.sameBuild).toBe(false);
    expect(d.processes).toEqual([
      { name: 'clock', from: null, to: 'node c.js' }, { name: 'web', from: 'node a.js', to: 'node b.js' }, { name: 'worker', from: 'node w.js', to: null },
    ]);
    expect(d.manifest).toEqual([
      { name: 'cron', from: '[{"schedule":"* * * * *","command":"x"}]', to: null },
      { name: 'healthcheck.path', from: '/', to: '/up' },
      { name: 'healthcheck.startTimeoutSeconds', from: null, to: '9' },
    ]);
    expect(d.formation).toEqual([{ name: 'clock', from: null, to: '1' }, { name: 'web', from: '1', to: '3' }]);
    expect(diffReleases(a, rel(3, { formation: null }), null).formation).toEqual([]); // a release from before the record
    expect(diffReleases(a, { ...a, version: 4 }, null).sameBuild).toBe(true);
  });

  it('a release phase runs no instance; other types default to one', () => {
    expect(wantedFormation({ web: 'a', release: 'b', worker: 'c' }, { worker: 0 })).toEqual({ web: 1, worker: 0 });
    expect(releaseInfo(rel(1), 1).image).toBeNull();
  });
});

describe("an image's OCI labels", () => {
  it('keep a revision only when it is a commit id, and lose control characters', () => {
    const o = originOf('ghcr.io/a/b:1', 'sha256:abc', {
      'org.opencontainers.image.revision': 'ABCDEF1234567', 'org.opencontainers.image.authors': 'Eve\u001b[31m <e@x>',
      'org.opencontainers.image.title': 't'.repeat(500), 'minicloud.app': 'x',
    });
    expect(o).toEqual({ ref: 'ghcr.io/a/b:1', id: 'sha256:abc', revision: 'abcdef1234567', authors: 'Eve [31m <e@x>', title: 't'.repeat(200) });
    expect(originOf('r', 'i', { 'org.opencontainers.image.revision': 'main; rm -rf /' }).revision).toBeUndefined();
    expect(originOf('r', 'i', null)).toEqual({ ref: 'r', id: 'i' });
  });
});

describe('an image deploy body', () => {
  it('takes a commit id, one line of author and message, and says what is wrong otherwise', () => {
    expect(parseImageDeploy({ image: 'ghcr.io/a/b:1', commit: 'ABCDEF0', author: 'CI', message: 'Ship it\nmore lines' }, 'shop'))
      .toEqual({ image: 'ghcr.io/a/b:1', commit: 'abcdef0', author: 'CI', message: 'Ship it' });
    expect(() => parseImageDeploy({}, 'shop')).toThrow('no image given');
    expect(() => parseImageDeploy({ image: 'a:1', commit: 'main' }, 'shop')).toThrow('commit must be a commit id');
    expect(() => parseImageDeploy({ image: 'a:1', author: 'a\u0007b' }, 'shop')).toThrow('author has control characters');
    expect(() => parseImageDeploy({ image: 'a:1', message: 'm'.repeat(501) }, 'shop')).toThrow('message is longer than 500 characters');
    expect(() => parseImageDeploy({ image: 'a:1', registry: { username: 'u' } }, 'shop')).toThrow('registry must be');
  });
});
