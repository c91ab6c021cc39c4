// The host apps reach a shared server at (MINICLOUD_<KIND>_APP_HOST) replaces the admin URL's in their add-on URLs.
import { describe, expect, it } from 'vitest';
import { adminUrl, appFacing, loopbackWarnings } from '../../src/addons/common.ts';
import { isUserError } from '../../src/core/index.ts';

const admin = new URL('postgres://postgres:s3cret@127.0.0.1:5432/postgres');

describe('app-facing host of a shared server', () => {
  it('keeps the admin URL when no app host is set', () => {
    expect(appFacing({}, 'MINICLOUD_POSTGRES_URL', admin).href).toBe(admin.href);
  });

  it('replaces the host, and the port when given', () => {
    expect(appFacing({ MINICLOUD_POSTGRES_APP_HOST: 'minicloud-postgres' }, 'MINICLOUD_POSTGRES_URL', admin).host).toBe('minicloud-postgres:5432');
    expect(appFacing({ MINICLOUD_POSTGRES_APP_HOST: '172.17.0.1:15432' }, 'MINICLOUD_POSTGRES_URL', admin).host).toBe('172.17.0.1:15432');
    const redis = new URL('redis://:pw@127.0.0.1:6379/2');
    expect(appFacing({ MINICLOUD_REDIS_ADDON_APP_HOST: '[fd00::1]' }, 'MINICLOUD_REDIS_ADDON_URL', redis).href).toBe('redis://:pw@[fd00::1]:6379/2');
  });

  it('is what adminUrl hands the providers for app URLs, while minicloud keeps the admin address', () => {
    const a = adminUrl({ MINICLOUD_MARIADB_URL: 'mysql://root:pw@127.0.0.1:3306', MINICLOUD_MARIADB_APP_HOST: 'db.internal' },
      'MINICLOUD_MARIADB_URL', 'MariaDB', 'mysql://root:<password>@127.0.0.1:3306', ['mysql:']);
    expect(a.url.hostname).toBe('127.0.0.1');
    expect(a.appUrl.hostname).toBe('db.internal');
  });

  it.each(['a b', 'host:99999', 'user@host', 'host/path', 'http://host'])('refuses %j, naming the variable', (raw) => {
    let err: unknown;
    try {
      appFacing({ MINICLOUD_POSTGRES_APP_HOST: raw }, 'MINICLOUD_POSTGRES_URL', admin);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toContain('MINICLOUD_POSTGRES_APP_HOST');
  });
});

describe('an admin URL without a password', () => {
  it.each([
    ['MINICLOUD_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5432/postgres'],
    ['MINICLOUD_MARIADB_URL', 'mysql://root@127.0.0.1:3306'],
    ['MINICLOUD_REDIS_ADDON_URL', 'redis://127.0.0.1:6379'],
  ])('is refused for %s, saying why and how to fix it', (variable, raw) => {
    let err: unknown;
    try {
      adminUrl({ [variable]: raw }, variable, 'the server', 'scheme://admin:<password>@127.0.0.1:1', ['postgres:', 'mysql:', 'redis:']);
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toContain(`${variable} has no password`);
    expect((err as { hint?: string }).hint).toContain(':<password>@');
  });
});

describe('the warning for apps in containers', () => {
  it('names each shared server on loopback without an app-facing host, and what to set', () => {
    const w = loopbackWarnings({
      MINICLOUD_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      MINICLOUD_REDIS_ADDON_URL: 'redis://localhost:6379',
      MINICLOUD_MARIADB_URL: 'mysql://root@127.0.0.1:3306', MINICLOUD_MARIADB_APP_HOST: '172.18.0.1',
      MINICLOUD_RABBITMQ_URL: 'amqp://u:p@minicloud-rabbitmq:5672',
    });
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('MINICLOUD_POSTGRES_URL names 127.0.0.1');
    expect(w[0]).toContain('set MINICLOUD_POSTGRES_APP_HOST');
    expect(w[1]).toContain('set MINICLOUD_REDIS_ADDON_APP_HOST');
    expect(w.join()).not.toMatch(/MARIADB|RABBITMQ/);
  });

  it('says nothing when no server is set, and never echoes a password', () => {
    expect(loopbackWarnings({})).toEqual([]);
    expect(loopbackWarnings({ MINICLOUD_POSTGRES_URL: 'postgres://postgres:hunter2@[::1]:5432/x' }).join()).not.toContain('hunter2');
  });
});
