// Contract tests of the CLI's domain commands: domains, domains:add, domains:remove.
import { describe, expect, it } from 'vitest';
import { time } from '../../src/cli/kit/format.ts';
import { sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const calls = () => srv.seen.map((s) => `${s.method} ${s.url}`);
const CREATED = '2024-05-01T12:00:00Z';

describe('domains (list)', () => {
  it('prints the default domain first, then the custom ones with when they were added', async () => {
    const list = [{ domain: 'my-app.localhost', default: true }, { domain: '*.shop.test', createdAt: CREATED }, { domain: 'www.example.com', createdAt: CREATED }];
    srv.handler = (_q, res) => sendJson(res, 200, list);
    const r = await run(['domains', 'my-app']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'DOMAIN',
      'my-app.localhost  default',
      `*.shop.test       added ${time(CREATED)}`,
      `www.example.com   added ${time(CREATED)}`,
      '',
    ]);
    expect(srv.seen).toEqual([{ method: 'GET', url: '/api/apps/my-app/domains', auth: 'Bearer tok-123', body: undefined }]);
  });

  it('hints at domains:add when there are no custom domains, and --json prints the list as it came', async () => {
    const list = [{ domain: 'my-app.localhost', default: true }];
    srv.handler = (_q, res) => sendJson(res, 200, list);
    const r = await run(['domains', 'my-app']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('my-app has no custom domains. Add one with `minicloud domains:add my-app www.example.com`.');
    const j = await run(['domains', '-a', 'my-app', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual(list);
    expect(calls()).toEqual(['GET /api/apps/my-app/domains', 'GET /api/apps/my-app/domains']);
  });

  it('renders an API error', async () => {
    srv.handler = (_q, res) => sendJson(res, 404, { error: 'app nope not found', hint: 'see your apps with `minicloud apps`' });
    const r = await run(['domains', 'nope']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: ' !     app nope not found\n !     see your apps with `minicloud apps`\n' });
  });
});

describe('domains:add', () => {
  it('posts the canonical domain and says how to point DNS at the server', async () => {
    srv.handler = (_q, res) => sendJson(res, 201, { domain: 'www.example.com', createdAt: CREATED, added: true, cnameTarget: 'my-app.localhost' });
    const r = await run(['domains:add', 'my-app', 'WWW.Example.com.']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Adding www.example.com to my-app... done\n'
      + '       Point the DNS record of www.example.com at this server: an A record with its IP address or a CNAME record pointing at my-app.localhost.\n',
    );
    expect(srv.seen).toEqual([{ method: 'POST', url: '/api/apps/my-app/domains', auth: 'Bearer tok-123', body: { domain: 'www.example.com' } }]);
  });

  it('punycodes an international name and takes a wildcard, with -a too', async () => {
    srv.handler = (q, res) => sendJson(res, 201, { domain: (q.body as { domain: string }).domain, createdAt: CREATED, added: true });
    const idn = await run(['domains:add', 'my-app', 'bücher.example']);
    expect(idn.code).toBe(0);
    expect(idn.stdout).toContain('Adding xn--bcher-kva.example to my-app... done\n');
    const wild = await run(['domains:add', '-a', 'my-app', '*.shop.test']);
    expect(wild.code).toBe(0);
    expect(wild.stdout).toContain('Adding *.shop.test to my-app... done\n');
    expect(wild.stdout).toContain('Point a wildcard DNS record for *.shop.test at this server');
    expect(srv.seen.map((s) => s.body)).toEqual([{ domain: 'xn--bcher-kva.example' }, { domain: '*.shop.test' }]);
  });

  it('says so when the app already had the domain', async () => {
    srv.handler = (_q, res) => sendJson(res, 200, { domain: 'www.example.com', createdAt: CREATED, added: false, cnameTarget: 'my-app.localhost' });
    const r = await run(['domains:add', 'my-app', 'www.example.com']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Adding www.example.com to my-app... done (my-app already had it)\n');
  });

  it.each([
    ['example.com:8080', 'contains a port'],
    ['http://x', 'is a URL'],
    ['a/b', 'contains a path'],
    ['localhost', 'single-label name'],
    ['10.0.0.1', 'IP address'],
    ['a.*.com', 'in the wrong place'],
    ['x-.example.com', 'starts or ends with "-"'],
  ])('refuses %j locally, without a request', async (domain, message) => {
    const r = await run(['domains:add', 'my-app', domain]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2); // the problem, then what to do
    expect(srv.seen).toEqual([]);
  });

  it('needs exactly one domain', async () => {
    const none = await run(['domains:add', 'my-app']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(' !     no domain given\n !     usage: minicloud domains:add <app> <domain> (e.g. www.example.com)\n');
    const two = await run(['domains:add', 'my-app', 'a.example.com', 'b.example.com']);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('unexpected argument "b.example.com"');
    expect(srv.seen).toEqual([]);
  });

  it('ends the "Adding..." line and shows the conflict the server reports', async () => {
    srv.handler = (_q, res) => sendJson(res, 409, { error: 'www.example.com is already used by app other', hint: 'remove it there first with `minicloud domains:remove other www.example.com`' });
    const r = await run(['domains:add', 'my-app', 'www.example.com']);
    expect(r).toEqual({
      code: 1,
      stdout: 'Adding www.example.com to my-app... failed\n',
      stderr: ' !     www.example.com is already used by app other\n !     remove it there first with `minicloud domains:remove other www.example.com`\n',
    });
  });
});

describe('domains:remove', () => {
  it('deletes the domain, URL-encoded', async () => {
    srv.handler = (_q, res) => void res.writeHead(204).end();
    const r = await run(['domains:remove', 'my-app', 'www.example.com']);
    expect(r).toEqual({ code: 0, stdout: 'Removing www.example.com from my-app... done\n', stderr: '' });
    const w = await run(['domains:remove', 'my-app', '*.Shop.test']);
    expect(w.stdout).toBe('Removing *.shop.test from my-app... done\n');
    expect(calls()).toEqual(['DELETE /api/apps/my-app/domains/www.example.com', 'DELETE /api/apps/my-app/domains/*.shop.test']);
  });

  it('refuses an invalid domain locally, and renders a 404', async () => {
    const bad = await run(['domains:remove', 'my-app', 'example.com:80']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('contains a port');
    expect(srv.seen).toEqual([]);
    srv.handler = (_q, res) => sendJson(res, 404, { error: 'my-app has no custom domain www.example.com', hint: 'see its domains with `minicloud domains my-app`' });
    const r = await run(['domains:remove', 'my-app', 'www.example.com']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Removing www.example.com from my-app... failed\n');
    expect(r.stderr).toContain('my-app has no custom domain www.example.com');
  });
});

describe('help', () => {
  it('lists the domain commands', async () => {
    const r = await run(['help']);
    expect(r.stdout).toMatch(/domains <app> \[--json\]/);
    expect(r.stdout).toMatch(/domains:add <app> <domain>/);
    expect(r.stdout).toMatch(/domains:remove <app> <domain>/);
  });
});
