// apps:upgrade end to end, in the user's words: a Radicale app installed from the catalog (a catalog directory of the
// test's own, MINICLOUD_CATALOG_DIR) keeps a contact; the entry gains versions (3.1.9, the stand-in image working in
// its declared VOLUME /data, and a broken 3.2.0 whose radicale exits at start, as a failed storage migration would). `apps:upgrade --to
// 3.1.9` takes a backup and moves it; `apps:upgrade` to 3.2.0 fails its health check and the app still serves 3.1.9
// with the contact. The entry's `user` runs every version and owns the storage. A fresh install of the broken version
// says what it leaves. Going backwards, apps that are no catalog app, and tokens without manage access are refused.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import { CATALOG_DIR } from '../../src/catalog/index.ts';
import type { AppInfo, BackupInfo, CatalogEntry, UpgradeInfo } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import type { Reply } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'upgrade-dav';
const HOST = `${APP}.localhost`;
const USER = 'alice';
const PASSWORD = 'correct-horse-battery-7';
const OLD = 'tomsquest/docker-radicale:3.1.8.3';
const SECOND = 'tomsquest/docker-radicale:3.1.9.0';
const BROKEN = 'tomsquest/docker-radicale:3.2.0.0';
const CARD = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann-1\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nEND:VCARD\r\n';
const ADDRESSBOOK = '<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><set><prop>'
  + '<resourcetype><collection/><C:addressbook/></resourcetype><displayname>Contacts</displayname></prop></set></mkcol>';

const catalog = mkdtempSync(join(tmpdir(), 'mc-upgrade-catalog-'));
let redis: TestRedis;
let mc: Minicloud;

/** The shipped Radicale entry, edited, as the test catalog's radicale.json. */
function writeEntry(edit: (e: CatalogEntry) => void): void {
  const e = JSON.parse(readFileSync(join(CATALOG_DIR, 'radicale.json'), 'utf8')) as CatalogEntry;
  e.health.timeout = 30;
  // Not the image's own user (2999): the entry's runs it and owns its storage.
  e.user = '2998:2998';
  edit(e);
  writeFileSync(join(catalog, 'radicale.json'), JSON.stringify(e, null, 2));
}

beforeAll(async () => {
  await ensureStandIns(dockerHost(), ['radicale']);
  // 3.1.9: the same radicale with its working directory in its declared VOLUME /data (WordPress's and Nextcloud's
  // layout): storage must be mounted at /data itself for the contact to be there.
  execFileSync('docker', ['build', '-q', '-t', SECOND, '-'], { input: `FROM ${OLD}\nWORKDIR /data\n`, env: { ...process.env, DOCKER_HOST: dockerHost() }, stdio: ['pipe', 'pipe', 'pipe'] });
  // 3.2.0: the same image whose radicale fails at start, as a release whose storage migration failed would.
  const dockerfile = `FROM ${OLD}\nUSER root\nRUN printf '#!/bin/sh\\necho "radicale 3.2.0: cannot migrate the storage" >&2\\nexit 1\\n' > /usr/bin/radicale\nUSER 2999:2999\n`;
  execFileSync('docker', ['build', '-q', '-t', BROKEN, '-'], { input: dockerfile, env: { ...process.env, DOCKER_HOST: dockerHost() }, stdio: ['pipe', 'pipe', 'pipe'] });
  cpSync(join(CATALOG_DIR, 'schema.json'), join(catalog, 'schema.json'));
  writeEntry(() => {});
  redis = await startRedis();
  mc = await startMinicloud(redis.url, {
    MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-upgrade', MINICLOUD_CATALOG_DIR: catalog,
  });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  rmSync(catalog, { recursive: true, force: true });
  for (const image of [SECOND, BROKEN]) { try { docker('rmi', image); } catch { /* in use by a container still going */ } }
});

/** A WebDAV request through minicloud's router, as a CardDAV client makes it. */
function dav(method: string, path: string, body?: string, type?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: HOST, authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
    if (type) headers['content-type'] = type;
    const req = request({ host: '127.0.0.1', port: mc.httpPort, method, path, headers, timeout: 20_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

const card = () => dav('GET', `/${USER}/contacts/ann-1.vcf`);
const upgradeInfo = async () => (await mc.api<UpgradeInfo>('GET', `/api/apps/${APP}/upgrade`)).body;
/** The images of the app's containers once the release before has drained (it retires after the new one is up). */
async function running(): Promise<string[]> {
  const images = () => docker('ps', '--filter', `label=minicloud.app=${APP}`, '--format', '{{.Image}}').split('\n').filter(Boolean);
  for (let i = 0; i < 60 && images().length > 1; i++) await new Promise((r) => setTimeout(r, 500));
  return images();
}

describe('apps:upgrade', () => {
  it('installs Radicale 3.1.8, which keeps a contact, and says it is at the newest', async () => {
    const made = await mc.cli('apps:create', APP, '--from', 'radicale', '--set', `RADICALE_USER=${USER}`, '--set', `RADICALE_PASSWORD=${PASSWORD}`);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect((await dav('MKCOL', `/${USER}/contacts/`, ADDRESSBOOK, 'application/xml')).status).toBe(201);
    expect((await dav('PUT', `/${USER}/contacts/ann-1.vcf`, CARD, 'text/vcard')).status).toBe(201);
    const container = docker('ps', '--filter', `label=minicloud.app=${APP}`, '--format', '{{.Names}}');
    expect(docker('inspect', '--format', '{{.Config.User}}', container)).toBe('2998:2998');
    expect(docker('exec', container, 'stat', '-c', '%u:%g', '/data/collections')).toBe('2998:2998');
    expect(await upgradeInfo()).toEqual({ id: 'radicale', name: 'Radicale', installed: '3.1.8', newest: '3.1.8', versions: ['3.1.8'] });
    const same = await mc.cli('apps:upgrade', APP);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain(`${APP} already runs Radicale 3.1.8, the newest the catalog has`);
  });

  it('moves to 3.1.9 with --to after a backup, and the contact is still there', async () => {
    writeEntry((e) => {
      e.version = '3.2.0';
      e.processes.web!.image = BROKEN;
      e.versions = [{ version: '3.1.9', image: SECOND }, { version: '3.1.8', image: OLD }];
      // The entry as a newer minicloud ships it: an env var and a generated secret the install did not set.
      e.processes.web!.env = { ...e.processes.web!.env, UPGRADE_NOTE: 'added-later' };
      e.secrets = [...(e.secrets ?? []), { key: 'UPGRADE_TOKEN', description: 'a token a newer version needs' }];
    });
    expect(await upgradeInfo()).toMatchObject({ installed: '3.1.8', newest: '3.2.0', versions: ['3.2.0', '3.1.9', '3.1.8'] });
    const up = await mc.cli('apps:upgrade', APP, '--to', '3.1.9');
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain("New config vars from the catalog's entry: UPGRADE_NOTE, UPGRADE_TOKEN");
    const config = (await mc.api<Record<string, string>>('GET', `/api/apps/${APP}/config`)).body;
    expect(config.UPGRADE_NOTE).toBe('added-later');
    expect(config.UPGRADE_TOKEN).toMatch(/^[\w-]{32}$/);
    expect(up.stdout + up.stderr).not.toContain(config.UPGRADE_TOKEN);
    expect(up.stdout).toContain(`Upgrading ${APP} from Radicale 3.1.8 to 3.1.9`);
    expect(up.stdout).toMatch(/Backup \S+ \(good\)/);
    expect(up.stdout).toContain('v2 is live');
    expect(up.stdout).toContain(`${APP} runs Radicale 3.1.9 now`);
    expect((await upgradeInfo()).installed).toBe('3.1.9');
    expect(await running()).toEqual([`minicloud/${APP}:v2`]);
    const container = docker('ps', '--filter', `label=minicloud.app=${APP}`, '--format', '{{.Names}}');
    expect(docker('inspect', '--format', '{{.Config.User}}', container)).toBe('2998:2998');
    const read = await card();
    expect(read.status).toBe(200);
    expect(read.body).toContain('FN:Ann Example');
    const backups = await mc.api<BackupInfo[]>('GET', `/api/apps/${APP}/backups`);
    expect(backups.body.map((b) => [b.trigger, b.status, b.parts.map((p) => p.name)])).toEqual([['upgrade', 'good', ['volume /data']]]);
    const releases = await mc.cli('releases', APP);
    expect(releases.stdout).toContain('Upgrade Radicale 3.1.8 → 3.1.9');
  });

  it('rolls back when the newer version does not come up healthy: 3.1.9 still serves the contact, the command fails', async () => {
    const up = await mc.cli('apps:upgrade', APP);
    expect(up.code, up.stdout + up.stderr).toBe(1);
    expect(up.stdout).toContain(`Upgrading ${APP} from Radicale 3.1.9 to 3.2.0`);
    expect(up.stdout).toContain(`The upgrade to 3.2.0 failed: ${APP} rolled back to Radicale 3.1.9, which still serves`);
    expect(up.stdout).toContain('backups:restore');
    const app = await mc.api<AppInfo>('GET', `/api/apps/${APP}`);
    expect(app.body.currentRelease).toBe(2);
    expect((await upgradeInfo()).installed).toBe('3.1.9');
    expect(await running()).toEqual([`minicloud/${APP}:v2`]);
    const read = await card();
    expect(read.status).toBe(200);
    expect(read.body).toContain('FN:Ann Example');
    expect((await mc.api<BackupInfo[]>('GET', `/api/apps/${APP}/backups`)).body).toHaveLength(2);
  });

  it('refuses going backwards, an unknown version, an app not from the catalog and a token that may not manage the app', async () => {
    const back = await mc.cli('apps:upgrade', APP, '--to', '3.1.8');
    expect(back.code).toBe(1);
    expect(back.stderr).toContain('3.1.8 is older than the 3.1.9 upgrade-dav runs');
    expect(back.stderr).toContain(`minicloud rollback ${APP}`);
    const unknown = await mc.cli('apps:upgrade', APP, '--to', '9.9.9');
    expect(unknown.stderr).toContain('the catalog\'s radicale has no version 9.9.9');
    expect(unknown.stderr).toContain('3.2.0, 3.1.9, 3.1.8');
    const odd = await mc.api('POST', `/api/apps/${APP}/upgrade`, { to: '../x' });
    expect(odd.status).toBe(400);
    expect((await mc.cli('apps:create', 'upgrade-plain')).code).toBe(0);
    const plain = await mc.cli('apps:upgrade', 'upgrade-plain');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('upgrade-plain was not installed from the catalog');
    const made = await mc.cli('tokens:create', 'upgrade-ci', '--role', 'deploy', '--app', APP);
    const token = /^\s+(mc_\S+)$/m.exec(made.stdout)![1]!;
    const refused = await fetch(`http://127.0.0.1:${mc.apiPort}/api/apps/${APP}/upgrade`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs an admin, or a member of the app');
    expect((await upgradeInfo()).installed).toBe('3.1.9');
    const audit = await mc.cli('audit', '--json');
    expect(audit.stdout).toContain('apps:upgrade');
  });

  it('says what stays when a fresh install\'s first release does not come up (the entry now pins the broken 3.2.0)', async () => {
    const made = await mc.cli('apps:create', 'upgrade-broken', '--from', 'radicale', '--set', `RADICALE_USER=${USER}`, '--set', `RADICALE_PASSWORD=${PASSWORD}`);
    expect(made.code, made.stdout + made.stderr).toBe(1);
    expect(made.stdout).toContain('nothing was deployed');
    expect(made.stderr).toContain('upgrade-broken was made, but its first release did not come up');
    expect(made.stderr).toContain('minicloud apps:destroy upgrade-broken --confirm upgrade-broken');
    expect((await mc.api('GET', '/api/apps/upgrade-broken')).status).toBe(200);
  });
});
