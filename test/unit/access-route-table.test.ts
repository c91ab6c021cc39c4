// The route table is complete: every Express route and mount has a declared permission, and the OpenAPI document lists them.
import { describe, expect, it } from 'vitest';
import { ROUTES, matchRoute } from '../../src/api/access/index.ts';
import { openApiDocument } from '../../src/api/access/openapi.ts';
import { allows, type Principal } from '../../src/api/access/roles.ts';
import { expressRoutes } from '../helpers/express-routes.ts';

const walk = expressRoutes();

describe('the route table', () => {
  it('declares a permission for every Express route, matched as Express matches it', () => {
    const undeclared = walk.routes.filter((r) => matchRoute(r.method, r.path)?.rule.path !== r.path).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    expect(walk.routes.length).toBeGreaterThan(50);
  });

  it('declares the routes of every plain handler mounted on a path (git)', () => {
    expect(walk.mounts).toContain('/git');
    for (const mount of walk.mounts) expect(ROUTES.some((r) => r.path.startsWith(`${mount}/`)), mount).toBe(true);
  });

  it('declares nothing that does not exist (besides git and the dashboard files)', () => {
    const real = new Set(walk.routes.map((r) => `${r.method} ${r.path}`));
    const extra = ROUTES.filter((r) => !real.has(`${r.method} ${r.path}`)).map((r) => `${r.method} ${r.path}`);
    expect(extra.sort()).toEqual(['GET /dashboard', 'GET /dashboard/*', 'GET /git/:repo/info/refs', 'POST /git/:repo/git-receive-pack', 'POST /git/:repo/git-upload-pack']);
  });

  it('matches like Express: any case, a trailing slash, decoded params; nothing else', () => {
    expect(matchRoute('GET', '/API/Apps/my-app/CONFIG/')).toMatchObject({ rule: { path: '/api/apps/:app/config' }, params: { app: 'my-app' } });
    expect(matchRoute('HEAD', '/api/apps')?.rule.path).toBe('/api/apps');
    expect(matchRoute('GET', '/api/apps/a%62c')?.params).toEqual({ app: 'abc' });
    expect(matchRoute('GET', '/api/apps/%E0%A4%A')).toBeNull();
    expect(matchRoute('GET', '/api/apps//config')).toBeNull();
    expect(matchRoute('GET', '/api/nope')).toBeNull();
    expect(matchRoute('PUT', '/api/apps')).toBeNull();
    expect(matchRoute('GET', '/dashboard/app.js')?.rule.permission).toBe('public');
  });
});

describe('roles', () => {
  const p = (role: Principal['role'], apps: string[] | null = null): Principal => ({ name: 't', role, apps, token: 't', user: null });
  it('gives each role what the README says, and no more', () => {
    expect(allows(p('deploy', ['a']), 'app:deploy', 'a')).toBe(true);
    expect(allows(p('deploy', ['a']), 'app:deploy', 'b')).toBe(false);
    expect(allows(p('deploy', ['a']), 'app:manage', 'a')).toBe(false);
    expect(allows(p('deploy', ['a']), 'app:read', 'a')).toBe(false);
    expect(allows(p('deploy', ['a']), 'app:deploy-log', 'a')).toBe(true);
    expect(allows(p('read'), 'app:read', 'x')).toBe(true);
    expect(allows(p('read', ['a']), 'app:read', 'b')).toBe(false);
    expect(allows(p('read'), 'app:manage', 'x')).toBe(false);
    expect(allows(p('read'), 'metrics')).toBe(true);
    expect(allows(p('read', ['a']), 'metrics')).toBe(false);
    expect(allows(p('metrics'), 'metrics')).toBe(true);
    expect(allows(p('metrics'), 'app:read', 'x')).toBe(false);
    expect(allows(p('admin'), 'admin')).toBe(true);
    expect(allows(p('admin'), 'hook')).toBe(false);
  });
});

describe('the OpenAPI document', () => {
  it('lists every REST route with its permission, and only routes that exist', () => {
    const doc = openApiDocument('1') as { paths: Record<string, Record<string, { 'x-minicloud-permission': string }>> };
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, perm: op['x-minicloud-permission'] })));
    const api = walk.routes.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(listed.map((l) => l.key).sort()).toEqual([...new Set(api)].sort());
    expect(listed.find((l) => l.key === 'GET /api/apps/{app}/config')?.perm).toBe('app:manage');
    expect(listed.every((l) => l.perm)).toBe(true);
  });
});
