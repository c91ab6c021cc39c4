// The catalog's Radicale entry end to end, in the user's words: `minicloud catalog`, `catalog:info`, `apps:create
// contacts --from radicale --set ...`; a CardDAV client stores a contact with the credentials it was given; a backup,
// `apps:destroy`, the same install again, `backups:restore`: the contact is back. The image is the entry's pinned
// name built locally from Debian's radicale (no registry is reachable here; scripts/stand-in-images/radicale.*).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script shared with npm test, without type declarations
import { ensureStandIns } from '../../scripts/stand-in-images.mjs';
import type { AppInfo, BackupInfo } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, type Reply } from '../helpers/net.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const USER = 'alice';
const PASSWORD = 'correct-horse-battery-7';
const HOST = 'contacts.localhost';
const CARD = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann-1\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nTEL:+15550100\r\nEND:VCARD\r\n';
const ADDRESSBOOK = '<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><set><prop>'
  + '<resourcetype><collection/><C:addressbook/></resourcetype><displayname>Contacts</displayname></prop></set></mkcol>';

let redis: TestRedis;
let mc: Minicloud;

beforeAll(async () => {
  await ensureStandIns(dockerHost(), ['radicale']);
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: 'minicloud-test-catalog' });
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
});

/** A WebDAV request through minicloud's router, as a CardDAV client (DAVx5, Thunderbird) makes it. */
function dav(method: string, path: string, o: { auth?: string; body?: string; type?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: HOST };
    if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    if (o.type) headers['content-type'] = o.type;
    const req = request({ host: '127.0.0.1', port: mc.httpPort, method, path, headers, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

const install = () => mc.cli('apps:create', 'contacts', '--from', 'radicale', '--set', `RADICALE_USER=${USER}`, '--set', `RADICALE_PASSWORD=${PASSWORD}`);
const card = () => dav('GET', `/${USER}/contacts/ann-1.vcf`, { auth: `${USER}:${PASSWORD}` });

describe('the catalog', () => {
  it('lists Radicale with its pinned version and what it needs, and says what it asks for', async () => {
    const list = await mc.cli('catalog');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/radicale\s+3\.1\.8\s+Radicale\s+128 MiB, storage \/data/);
    expect(list.stderr).toBe('');
    const info = await mc.cli('catalog:info', 'radicale');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('tomsquest/docker-radicale:3.1.8.3 on port 5232');
    expect(info.stdout).toContain('RADICALE_PASSWORD  Its password');
    expect(info.stdout).toContain('(secret)');
    const none = await mc.cli('catalog:info', 'nextcloudx');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the catalog has no nextcloudx');
  });

  it('refuses an install whose inputs do not fit before anything is made, never echoing a secret', async () => {
    const missing = await mc.cli('apps:create', 'contacts', '--from', 'radicale', '--set', `RADICALE_USER=${USER}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('radicale needs RADICALE_PASSWORD');
    const short = await mc.cli('apps:create', 'contacts', '--from', 'radicale', '--set', `RADICALE_USER=${USER}`, '--set', 'RADICALE_PASSWORD=tiny-pw');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('RADICALE_PASSWORD must match');
    expect(short.stderr).not.toContain('tiny-pw');
    const injected = await mc.cli('apps:create', 'contacts', '--from', 'radicale', '--set', 'RADICALE_USER=bob:x\nmallory', '--set', `RADICALE_PASSWORD=${PASSWORD}`);
    expect(injected.code).toBe(1);
    expect(injected.stderr).toContain('RADICALE_USER must match');
    const unknown = await mc.cli('apps:create', 'contacts', '--from', 'radicale', '--set', 'COLOUR=blue');
    expect(unknown.stderr).toContain('COLOUR is not an input of radicale');
    const apps = await mc.api<AppInfo[]>('GET', '/api/apps');
    expect(apps.body.map((a) => a.name)).not.toContain('contacts');
  });

  it('installs Radicale, a CardDAV client keeps a contact, and a backup brings it back after the app is destroyed', async () => {
    const first = await install();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('Installing Radicale 3.1.8 from the catalog as contacts');
    expect(first.stdout).toContain('RADICALE_PASSWORD (secret)');
    expect(first.stdout).toContain('v1 is live');
    // The health path answered before v1 went live; it answers through the router too.
    expect((await get(mc.httpPort, HOST, '/.web/')).status).toBe(200);

    expect((await dav('MKCOL', `/${USER}/contacts/`, { auth: `${USER}:${PASSWORD}`, body: ADDRESSBOOK, type: 'application/xml' })).status).toBe(201);
    expect((await dav('PUT', `/${USER}/contacts/ann-1.vcf`, { auth: `${USER}:${PASSWORD}`, body: CARD, type: 'text/vcard' })).status).toBe(201);
    const read = await card();
    expect(read.status).toBe(200);
    expect(read.body).toContain('FN:Ann Example');
    expect((await dav('GET', `/${USER}/contacts/ann-1.vcf`)).status).toBe(401);
    expect((await dav('GET', `/${USER}/contacts/ann-1.vcf`, { auth: `${USER}:wrong-password-123` })).status).toBe(401);

    // An ordinary app: its memory limit, storage and config as any app's; the password in no log, argv or label.
    const resources = await mc.api<{ memoryMb: number }>('GET', '/api/apps/contacts/resources');
    expect(resources.body.memoryMb).toBe(128);
    expect((await mc.cli('storage', 'contacts')).stdout).toContain('/data');
    const container = docker('ps', '--filter', 'label=minicloud.app=contacts', '--format', '{{.Names}}').split('\n')[0]!;
    expect(docker('inspect', '--format', '{{json .Config.Cmd}} {{json .Config.Labels}}', container)).not.toContain(PASSWORD);
    const logs = await mc.cli('logs', 'contacts', '--source', 'app,router,release', '-n', '500');
    for (const text of [first.stdout, first.stderr, mc.output(), logs.stdout]) expect(text).not.toContain(PASSWORD);

    const backup = await mc.api<BackupInfo>('POST', '/api/apps/contacts/backups');
    expect(backup.status, JSON.stringify(backup.body)).toBe(201);
    expect(backup.body.status).toBe('good');
    expect(backup.body.parts.map((p) => p.name)).toEqual(['volume /data']);

    expect((await mc.cli('apps:destroy', 'contacts', '--confirm', 'contacts')).code).toBe(0);
    const again = await install();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await card()).status).toBe(404);
    const listed = await mc.cli('backups', 'contacts');
    expect(listed.stdout).toContain(backup.body.id);
    const restored = await mc.cli('backups:restore', 'contacts', backup.body.id);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const back = await card();
    expect(back.status, `${restored.stdout}\n${mc.output().slice(-3000)}`).toBe(200);
    expect(back.body).toContain('FN:Ann Example');
    expect(back.body).toContain('TEL:+15550100');
  });
});
