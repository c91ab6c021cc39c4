// Contract tests of the CLI's add-on commands: addons, addons:create, addons:info, addons:destroy.
import { describe, expect, it } from 'vitest';
import { time } from '../../src/cli/kit/format.ts';
import type { AddonInfo } from '../../src/core/index.ts';
import { deploy, sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const calls = () => srv.seen.map((s) => `${s.method} ${s.url}`);

function addon(over: Partial<AddonInfo>): AddonInfo {
  return { app: 'my-app', kind: 'postgres', name: 'app_my_app', envKeys: ['DATABASE_URL', 'POSTGRES_URL'], createdAt: '2024-05-01T12:00:00Z', ...over };
}

const KINDS_HINT = ' !     use one of: mariadb, postgres, rabbitmq, redis\n';

describe('addons (list)', () => {
  it('prints a table of kind, name, config vars and creation time', async () => {
    const list = [addon({}), addon({ kind: 'redis', name: 'app_my_app', envKeys: ['REDIS_URL', 'REDIS_KEY_PREFIX'] })];
    srv.handler = (_q, res) => sendJson(res, 200, list);
    const r = await run(['addons', 'my-app']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const created = time('2024-05-01T12:00:00Z');
    expect(r.stdout.split('\n')).toEqual([
      'KIND      NAME        CONFIG VARS                  CREATED',
      `postgres  app_my_app  DATABASE_URL, POSTGRES_URL   ${created}`,
      `redis     app_my_app  REDIS_URL, REDIS_KEY_PREFIX  ${created}`,
      '',
    ]);
    expect(srv.seen).toEqual([{ method: 'GET', url: '/api/apps/my-app/addons', auth: 'Bearer tok-123', body: undefined }]);
  });

  it('says so when there are none, and --json prints the list as it came', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, []);
    const r = await run(['addons', 'my-app']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('my-app has no add-ons\n');
    expect(r.stdout).toContain('minicloud addons:create my-app <kind>');
    const list = [addon({ kind: 'mariadb', envKeys: ['DATABASE_URL', 'MARIADB_URL', 'MYSQL_URL'] })];
    srv.handler = (_q, res) => sendJson(res, 200, list);
    const j = await run(['addons', '-a', 'my-app', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(list);
    expect(calls()).toEqual(['GET /api/apps/my-app/addons', 'GET /api/apps/my-app/addons']);
  });

  it('addons:list is an alias', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, []);
    expect((await run(['addons:list', 'my-app'])).code).toBe(0);
    expect(calls()).toEqual(['GET /api/apps/my-app/addons']);
  });
});

describe('addons:create', () => {
  it('posts the kind and reports the config vars and the restart', async () => {
    const a = addon({ kind: 'redis', envKeys: ['REDIS_URL', 'REDIS_KEY_PREFIX'] });
    srv.handler = (_q, res) => sendJson(res, 201, { addon: a, deploy: deploy({ kind: 'restart', release: 5 }) });
    const r = await run(['addons:create', 'my-app', 'redis']);
    expect(r).toEqual({
      code: 0,
      stdout: 'Creating redis for my-app... done\n       Config vars: REDIS_URL, REDIS_KEY_PREFIX\n       Restarted my-app as v5\n',
      stderr: '',
    });
    expect(srv.seen).toEqual([{ method: 'POST', url: '/api/apps/my-app/addons', auth: 'Bearer tok-123', body: { kind: 'redis' } }]);
  });

  it('takes the app with -a, and the kind before or after options', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { addon: addon({}), deploy: null });
    const r = await run(['addons:create', '-a', 'my-app', 'postgres']);
    expect(r).toEqual({ code: 0, stdout: 'Creating postgres for my-app... done\n       Config vars: DATABASE_URL, POSTGRES_URL\n', stderr: '' });
    expect((await run(['addons:create', 'my-app', '--', 'postgres'])).code).toBe(0);
    expect(srv.seen.map((s) => s.body)).toEqual([{ kind: 'postgres' }, { kind: 'postgres' }]);
  });

  it('a failed restart is a failed command, with its error', async () => {
    srv.handler = (_q, res) =>
      sendJson(res, 201, { addon: addon({}), deploy: deploy({ kind: 'restart', status: 'failed', release: null, error: 'web.1 crashed on boot' }) });
    const r = await run(['addons:create', 'my-app', 'postgres']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Creating postgres for my-app... done\n       Config vars: DATABASE_URL, POSTGRES_URL\n');
    expect(r.stderr).toContain('web.1 crashed on boot');
    expect(r.stderr).toContain('minicloud logs my-app');
  });

  it('an API error ends the line with "failed" and shows the error and hint', async () => {
    srv.handler = (_q, res) => sendJson(res, 409, { error: 'my-app already has a postgres add-on', hint: 'see `minicloud addons my-app`' });
    const r = await run(['addons:create', 'my-app', 'postgres']);
    expect(r).toEqual({
      code: 1,
      stdout: 'Creating postgres for my-app... failed\n',
      stderr: ' !     my-app already has a postgres add-on\n !     see `minicloud addons my-app`\n',
    });
  });

  it.each(['mysql', 'Postgres', 'redis:7', ''])('refuses kind %j without a request, listing the kinds', async (bad) => {
    const r = await run(['addons:create', 'my-app', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(` !     unknown add-on kind ${JSON.stringify(bad)}\n${KINDS_HINT}`);
    expect(srv.seen).toEqual([]);
  });

  it('refuses a missing kind, a second one and unknown options without a request', async () => {
    const none = await run(['addons:create', 'my-app']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(' !     no add-on kind given\n !     usage: minicloud addons:create <app> <kind> (kinds: mariadb, postgres, rabbitmq, redis)\n');
    expect((await run(['addons:create', 'my-app', 'redis', 'postgres'])).stderr).toContain('unexpected argument "postgres"');
    expect((await run(['addons:create', 'my-app', 'redis', '--size', 'big'])).stderr).toContain("Unknown option '--size'");
    expect((await run(['addons:create', '../x', 'redis'])).stderr).toMatch(/^ ! {5}invalid app name/);
    expect(srv.seen).toEqual([]);
  });

  it('-h after the kind prints the usage', async () => {
    const r = await run(['addons:create', 'my-app', 'redis', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: minicloud addons:create <app> <kind>\n/);
    expect(r.stdout).toContain('mariadb, postgres, rabbitmq, redis');
    expect(srv.seen).toEqual([]);
  });
});

describe('addons:info', () => {
  it('gets one add-on and prints its details', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, addon({
      kind: 'rabbitmq', envKeys: ['RABBITMQ_URL', 'AMQP_URL'], server: 'mq.internal:5672', database: 'app_my_app', user: 'app_my_app',
      url: 'amqp://app_my_app:****@mq.internal:5672/app_my_app', usage: '3 messages in 1 queue', usageError: null,
    }));
    const r = await run(['addons:info', 'my-app', 'rabbitmq']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '=== my-app rabbitmq',
      'Kind:        rabbitmq',
      'Name:        app_my_app',
      'Server:      mq.internal:5672',
      'Vhost:       app_my_app',
      'User:        app_my_app',
      'Holds:       3 messages in 1 queue',
      'URL:         amqp://app_my_app:****@mq.internal:5672/app_my_app (password masked; `minicloud config:get my-app RABBITMQ_URL` shows it)',
      'Config vars: RABBITMQ_URL, AMQP_URL',
      `Created:     ${time('2024-05-01T12:00:00Z')}`,
      '',
    ]);
    expect(calls()).toEqual(['GET /api/apps/my-app/addons/rabbitmq']);
  });

  it('--json before or after the kind prints the add-on as it came', async () => {
    const a = addon({});
    srv.handler = (_q, res) => sendJson(res, 200, a);
    expect(JSON.parse((await run(['addons:info', 'my-app', 'postgres', '--json'])).stdout)).toEqual(a);
    expect(JSON.parse((await run(['addons:info', '--json', 'my-app', 'postgres'])).stdout)).toEqual(a);
    expect(calls()).toEqual(['GET /api/apps/my-app/addons/postgres', 'GET /api/apps/my-app/addons/postgres']);
  });

  it('shows a 404 as the server words it; refuses an unknown kind without a request', async () => {
    srv.handler = (_q, res) => sendJson(res, 404, { error: 'my-app has no redis add-on', hint: 'create one with `minicloud addons:create my-app redis`' });
    const r = await run(['addons:info', 'my-app', 'redis']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: ' !     my-app has no redis add-on\n !     create one with `minicloud addons:create my-app redis`\n' });
    srv.seen = [];
    const bad = await run(['addons:info', 'my-app', 'mongodb']);
    expect(bad.stderr).toBe(` !     unknown add-on kind "mongodb"\n${KINDS_HINT}`);
    expect(srv.seen).toEqual([]);
  });
});

describe('addons:destroy', () => {
  it.each([
    [['addons:destroy', 'my-app', 'postgres']],
    [['addons:destroy', 'my-app', 'postgres', '--confirm', 'other-app']],
    [['addons:destroy', 'my-app', '--confirm', 'my-ap', 'postgres']],
  ])('%j without a matching --confirm says what it deletes, and sends nothing', async (argv) => {
    const r = await run(argv);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: " !     This deletes my-app's postgres and all its data\n !     run again with `minicloud addons:destroy my-app postgres --confirm my-app`\n",
    });
    expect(srv.seen).toEqual([]);
  });

  it('with --confirm deletes it and reports the restart', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: deploy({ kind: 'restart', release: 7 }) });
    const r = await run(['addons:destroy', 'my-app', 'postgres', '--confirm', 'my-app']);
    expect(r).toEqual({ code: 0, stdout: 'Destroying postgres of my-app... done\n       Restarted my-app as v7\n', stderr: '' });
    expect(srv.seen).toEqual([{ method: 'DELETE', url: '/api/apps/my-app/addons/postgres?confirm=my-app', auth: 'Bearer tok-123', body: undefined }]);
  });

  it('--confirm may come first, or with =; no deploy (app not running) or a 204 is fine', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: null });
    expect(await run(['addons:destroy', 'my-app', '--confirm', 'my-app', 'redis'])).toEqual({ code: 0, stdout: 'Destroying redis of my-app... done\n', stderr: '' });
    srv.handler = (_q, res) => void res.writeHead(204).end();
    expect((await run(['addons:destroy', '-a', 'my-app', 'redis', '--confirm=my-app'])).code).toBe(0);
    expect(calls()).toEqual(['DELETE /api/apps/my-app/addons/redis?confirm=my-app', 'DELETE /api/apps/my-app/addons/redis?confirm=my-app']);
  });

  it('a failed restart after the delete is a failed command', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { deploy: deploy({ kind: 'restart', status: 'failed', release: null, error: 'DATABASE_URL is not set' }) });
    const r = await run(['addons:destroy', 'my-app', 'postgres', '--confirm', 'my-app']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Destroying postgres of my-app... done\n');
    expect(r.stderr).toContain('DATABASE_URL is not set');
  });

  it('refuses an unknown kind before checking --confirm', async () => {
    const r = await run(['addons:destroy', 'my-app', 'mongo', '--confirm', 'my-app']);
    expect(r.stderr).toBe(` !     unknown add-on kind "mongo"\n${KINDS_HINT}`);
    expect(srv.seen).toEqual([]);
  });
});

it('help lists the add-on commands', async () => {
  const r = await run(['help']);
  for (const c of ['addons', 'addons:create', 'addons:info', 'addons:destroy']) expect(r.stdout).toMatch(new RegExp(`^  ${c}( .*  [a-z]|.*\\n {30,}[a-z])`, 'm'));
  const u = await run(['help', 'addons:destroy']);
  expect(u.stdout).toMatch(/^Usage: minicloud addons:destroy <app> <kind> --confirm <app>\n/);
});
