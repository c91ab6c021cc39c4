// apps:rename from a checkout: the remotes pointing at the app move to its new git URL, as Heroku's do; others stay.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { app, sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();

it('renames the app and points the checkout\'s remote at the new git URL', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'mc-rename-repo-'));
  execFileSync('git', ['init', '-q', repo]);
  execFileSync('git', ['-C', repo, 'remote', 'add', 'minicloud', `${srv.baseUrl}/git/my-app.git`]);
  execFileSync('git', ['-C', repo, 'remote', 'add', 'origin', 'https://github.com/o/my-app.git']);
  srv.handler = (_q, res) => sendJson(res, 200, { ...app, name: 'shop', url: 'http://shop.localhost:7080', gitUrl: `${srv.baseUrl}/git/shop.git` });
  const r = await srv.run(['apps:rename', 'my-app', 'shop'], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  expect(srv.seen).toEqual([expect.objectContaining({ method: 'POST', url: '/api/apps/my-app/rename', body: { name: 'shop' } })]);
  expect(r.stdout).toContain('Renaming my-app to shop... done');
  expect(r.stdout).toContain('Git remote minicloud updated');
  expect(execFileSync('git', ['-C', repo, 'remote', 'get-url', 'minicloud'], { encoding: 'utf8' }).trim()).toBe(`${srv.baseUrl}/git/shop.git`);
  expect(execFileSync('git', ['-C', repo, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim()).toBe('https://github.com/o/my-app.git');
});

it('checks the new name before asking the server', async () => {
  const r = await srv.run(['apps:rename', 'my-app', 'Bad Name']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('app name');
  expect((await srv.run(['apps:rename', 'my-app'])).stderr).toContain('no new name given');
  expect(srv.seen).toEqual([]);
});
