// Isolation set-up without root, user names, and links out of a release (no servers, no users made).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, paths } from '../../src/server/config.ts';
import { setUpIsolation } from '../../src/server/isolation.ts';
import { AppUsers, createLogger } from '../../src/core/index.ts';
import { linkVolumes } from '../../src/runtime/link-volumes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-isolation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('setUpIsolation', () => {
  const cfg = loadConfig({ MINICLOUD_DATA: join(tmp, 'data') });
  it('says plainly that apps are not isolated when minicloud cannot switch users', () => {
    const iso = setUpIsolation(cfg, paths(cfg.dataDir), 'process', createLogger(), false);
    expect(iso.mode).toBe('none');
    expect(iso.summary).toContain('not root');
    expect(iso.summary).toContain("apps can read each other's files and minicloud's data dir");
    expect(iso.users).toBeUndefined();
  });
  it('names containers on Docker', () => {
    expect(setUpIsolation(cfg, paths(cfg.dataDir), 'docker', createLogger(), true).mode).toBe('containers');
  });
  it('refuses a bad user prefix with the fix', () => {
    expect(() => loadConfig({ MINICLOUD_APP_USER_PREFIX: 'Bad Prefix' })).toThrow(/cannot start a Unix user name/);
  });
});

describe('AppUsers.userName', () => {
  const users = new AppUsers({ homesDir: tmp, prefix: 'minicloud-', nproc: 10, enabled: false });
  it('is the prefix and the app, shortened with a hash past the 32 characters useradd takes', () => {
    expect(users.userName('blog')).toBe('minicloud-blog');
    const long = users.userName('a-very-long-application-name-indeed');
    expect(long.length).toBeLessThanOrEqual(32);
    expect(long).toMatch(/^minicloud-a-very-long-app[a-z0-9-]*-[0-9a-f]{6}$/);
    expect(users.userName('a-very-long-application-name-other')).not.toBe(long);
  });
});

describe('linkVolumes without a per-app user', () => {
  it('will not make the volume link through a link that leads out of the release', async () => {
    const release = join(tmp, 'release');
    const outside = join(tmp, 'outside');
    mkdirSync(release, { recursive: true });
    mkdirSync(outside, { recursive: true });
    symlinkSync(outside, join(release, 'var'));
    const spec = { id: 'x', app: 'a', release: 1, type: 'web', command: 'true', artifact: { kind: 'dir' as const, dir: release, buildpack: 'node', processes: {} }, env: {}, volumes: [{ path: '/var/data', hostDir: join(tmp, 'vol', 'var', 'data') }] };
    await expect(linkVolumes(spec, null)).rejects.toThrow(/leads out of the release through a link/);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('the static buildpack server', () => {
  it('serves the site but no link out of it', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const { freePort, until } = await import('../helpers/net.ts');
    const site = join(tmp, 'site');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'index.html'), 'home');
    writeFileSync(join(tmp, 'secret.txt'), 'secret');
    symlinkSync(join(tmp, 'secret.txt'), join(site, 'leak.txt'));
    symlinkSync(tmp, join(site, 'up'));
    const port = await freePort();
    const server = spawn(process.execPath, [fileURLToPath(new URL('../../buildpacks/static/static-server.mjs', import.meta.url))], { cwd: site, env: { PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
    try {
      const fetchText = async (p: string) => { const r = await fetch(`http://127.0.0.1:${port}${p}`); return `${r.status} ${await r.text()}`; };
      expect(await until('the static server', () => fetchText('/').catch(() => undefined), 10_000)).toBe('200 home');
      expect(await fetchText('/leak.txt')).toMatch(/^404/);
      expect(await fetchText('/up/secret.txt')).toMatch(/^404/);
    } finally {
      server.kill();
    }
  });
});

describe("a repository's Dockerfile", () => {
  it('may not have the engine fetch a URL from the host (ADD <url>), however it is written', async () => {
    const { checkDockerfile } = await import('../../src/build/dockerfile-check.ts');
    for (const text of [
      'FROM x\nADD http://127.0.0.1:7080/api/apps /leak\n',
      'FROM x\nadd --chown=1:1 https://169.254.169.254/latest/meta-data/ /m\n',
      'FROM x\nADD ["http://10.0.0.1/secret", "/s"]\n',
      'FROM x\nADD \\\n  http://192.168.1.1/ /r\n',
    ]) expect(() => checkDockerfile(text), text).toThrow(/ADD <url>/);
    expect(() => checkDockerfile('FROM x\nADD . /app\nRUN echo http://example.com\nCOPY a b\n')).not.toThrow();
  });
});

describe('image deploys', () => {
  it("refuse another app's local images, by name or by label, and allow the app's own and published ones", async () => {
    const { refuseOthers } = await import('../../src/build/image-import.ts');
    for (const ref of ['minicloud/billing:v3', 'docker.io/minicloud/billing:v3', 'minicloud/billing@sha256:' + 'a'.repeat(64), 'minicloud/billing']) {
      expect(() => refuseOthers(ref, 'shop'), ref).toThrow(/another app's image \(billing's\)/);
    }
    expect(() => refuseOthers('ghcr.io/me/app:1', 'shop', { 'minicloud.app': 'billing' })).toThrow(/billing's/);
    expect(() => refuseOthers('minicloud/shop:v2', 'shop')).not.toThrow();
    expect(() => refuseOthers('ghcr.io/minicloud/billing:1', 'shop')).not.toThrow(); // a registry's, not this server's
    expect(() => refuseOthers('registry.local:5000/shop:1', 'shop', { 'minicloud.app': 'shop' })).not.toThrow();
  });
});
