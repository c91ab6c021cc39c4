// Releases stored before Artifact became { kind: 'image', image } | { kind: 'dir', dir } still load, port and health check in their manifest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactHealthcheck, artifactPort, artifactRef, readArtifact } from '../../src/core/index.ts';
import { Store } from '../../src/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-artifact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A release row as an older minicloud wrote it, straight into the table. */
function storedBefore(store: Store, app: string, artifact: object): void {
  store.apps.create(app);
  store.db.prepare(`INSERT INTO releases (app, version, status, artifact, commit_sha, description, config, created_at)
    VALUES (?, 1, 'succeeded', ?, NULL, 'Deploy', '{}', ?)`).run(app, JSON.stringify(artifact), new Date().toISOString());
}

describe('stored artifacts', () => {
  it('loads an older image row: ref becomes image, port and health check read from the manifest', () => {
    const store = new Store(join(tmp, 'image', 'state.db'));
    try {
      storedBefore(store, 'shop', { kind: 'image', ref: 'minicloud/shop:v1', buildpack: 'node', processes: { web: 'node s.js' }, port: 8000,
        healthcheck: { path: '/up', startTimeoutSeconds: 30 }, manifest: { expose: { proto: 'http', port: 8000 }, healthcheck: { path: '/up', startTimeoutSeconds: 30 } } });
      const a = store.releases.get('shop', 1)!.artifact;
      expect(a).toEqual({ kind: 'image', image: 'minicloud/shop:v1', buildpack: 'node', processes: { web: 'node s.js' },
        manifest: { expose: { proto: 'http', port: 8000 }, healthcheck: { path: '/up', startTimeoutSeconds: 30 } } });
      expect([artifactPort(a), artifactHealthcheck(a)?.path, artifactRef(a)]).toEqual([8000, '/up', 'minicloud/shop:v1']);
    } finally {
      store.close();
    }
  });

  it('loads an older dir row with a health check and no manifest (from before cloud_manifest.yml)', () => {
    const store = new Store(join(tmp, 'dir', 'state.db'));
    try {
      storedBefore(store, 'blog', { kind: 'dir', ref: '/builds/blog/1', buildpack: 'node', processes: { web: 'npm start' }, healthcheck: { path: '/health' } });
      const a = store.releases.get('blog', 1)!.artifact;
      expect(a).toEqual({ kind: 'dir', dir: '/builds/blog/1', buildpack: 'node', processes: { web: 'npm start' }, manifest: { healthcheck: { path: '/health' } } });
      expect([artifactPort(a), artifactHealthcheck(a), artifactRef(a)]).toEqual([5000, { path: '/health' }, '/builds/blog/1']);
    } finally {
      store.close();
    }
  });

  it('leaves an artifact of today as it is', () => {
    const a = { kind: 'dir' as const, dir: '/builds/x', buildpack: 'node', processes: {} };
    expect(readArtifact(JSON.parse(JSON.stringify(a)))).toEqual(a);
    expect(readArtifact({ kind: 'dir', ref: '/builds/x', buildpack: 'node', processes: {} })).toEqual(a);
  });
});
