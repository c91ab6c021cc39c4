// minicloud's own swarm registry: no app name, tag or digest outside minicloud's namespace reaches a registry URL
// (refused before any request is made).
import { describe, expect, it } from 'vitest';
import { RegistryApi } from '../../src/registry/registry-api.ts';
import { OWN_REPOSITORY, OWN_TAG } from '../../src/registry/index.ts';

// Nothing listens here: a call that got as far as a request would fail differently.
const api = new RegistryApi({ host: '127.0.0.1:9', user: 'minicloud', password: 'x', caPem: '' });

describe("the registry's namespace", () => {
  it('takes minicloud/<app> repositories and v<N>[-<type>] tags only', () => {
    expect(OWN_REPOSITORY.test('minicloud/my-app')).toBe(true);
    for (const r of ['minicloud/../x', 'other/app', 'minicloud/a/b', 'minicloud/A', 'minicloud/', 'minicloud/app?x=1', 'minicloud/app%2f..']) expect(OWN_REPOSITORY.test(r), r).toBe(false);
    expect(OWN_TAG.test('v12')).toBe(true);
    expect(OWN_TAG.test('v3-db')).toBe(true);
    for (const t of ['latest', 'v1/../../x', 'v1?', 'v1-a/b', 'sha256:abc', 'v1-x#y']) expect(OWN_TAG.test(t), t).toBe(false);
  });

  it('refuses a path outside it before asking the registry', async () => {
    await expect(api.tags('minicloud/../other')).rejects.toThrow("outside minicloud's namespace");
    await expect(api.digest('minicloud/app', '../../v2/_catalog')).rejects.toThrow("outside minicloud's namespace");
    await expect(api.deleteManifest('minicloud/app', 'sha256:../../x')).rejects.toThrow('not a digest');
    await expect(api.deleteManifest('minicloud/../x', `sha256:${'a'.repeat(64)}`)).rejects.toThrow("outside minicloud's namespace");
  });
});
