// catalog: what an install makes, in order, with the services faked at their seams: config, router settings, storage,
// add-ons with their variables copied to the names the app reads, the image deploy with the entry's commands; and a
// failure on the way removes the half-made app.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CATALOG_DIR, CatalogInstaller, type CatalogEntry, type InstallerDeps } from '../../src/catalog/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-catalog-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
cpSync(join(CATALOG_DIR, 'schema.json'), join(dir, 'schema.json'));
const wiki: CatalogEntry = {
  id: 'wiki', name: 'Wiki', description: 'A wiki with a database and a cache', links: { homepage: 'https://wiki.example' },
  version: '1.4', memoryMb: 256,
  inputs: [{ key: 'WIKI_ADMIN', description: 'The admin', pattern: '[a-z]{3,20}' }],
  secrets: [{ key: 'WIKI_SECRET', description: 'Sessions', bytes: 16 }],
  addons: [{ kind: 'postgres', env: { WIKI_DB: 'DATABASE_URL' } }, { kind: 'redis', env: { WIKI_CACHE: 'REDIS_URL' } }],
  volumes: [{ name: 'uploads', path: '/var/lib/wiki' }],
  router: { 'max-body': '50m' },
  health: { path: '/health' },
  processes: {
    web: { image: 'example/wiki:1.4.2', command: 'wiki serve', env: { WIKI_MODE: 'production' }, port: 8080 },
    worker: { image: 'example/wiki:1.4.2', command: 'wiki jobs' },
  },
};
writeFileSync(join(dir, 'wiki.json'), JSON.stringify(wiki));

/** Fakes of what the installer touches, recording each call in order. */
function world(o: { failAddon?: string } = {}) {
  const calls: string[] = [];
  const config: Record<string, string> = {};
  const store = {
    apps: {
      setMemory: (app: string, mb: number) => calls.push(`memory ${app} ${mb}`),
      setCatalog: (app: string, c: object) => calls.push(`catalog ${app} ${JSON.stringify(c)}`),
    },
    routerSettings: { set: (app: string, s: object) => calls.push(`router ${app} ${JSON.stringify(s)}`) },
    configVars: { update: (_app: string, c: Record<string, string>) => Object.assign(config, c), get: () => ({ ...config }) },
    volumes: { add: (app: string, path: string) => calls.push(`volume ${app} ${path}`) },
    deploys: {
      create: (d: { app: string; kind: string; ref: string }, job: { description: string; runAs: unknown }) => {
        calls.push(`deploy ${d.kind} ${d.ref}`);
        return { id: 'd1', job, ...d };
      },
    },
  };
  const deps = {
    store, runtime: () => 'docker', memAvailableMb: () => 4096,
    apps: {
      create: async (name: string) => { calls.push(`create ${name}`); return { name }; },
      destroy: async (name: string) => { calls.push(`destroy ${name}`); },
    },
    addons: {
      attach: async (_app: string, kind: string) => {
        if (kind === o.failAddon) throw new Error(`the ${kind} server does not answer`);
        const env = kind === 'postgres' ? { DATABASE_URL: 'postgres://u:p@db/wiki', POSTGRES_URL: 'postgres://u:p@db/wiki' } : { REDIS_URL: 'redis://u:p@r/0', REDIS_KEY_PREFIX: 'wiki:' };
        Object.assign(config, env);
        calls.push(`addon ${kind}`);
        return { envKeys: Object.keys(env) };
      },
    },
    queue: { redis: { check: () => {} }, enqueue: async (app: string, job: { runAs: unknown }) => calls.push(`enqueue ${app} ${JSON.stringify(job.runAs)}`) },
    dir,
  } as unknown as InstallerDeps;
  return { calls, config, installer: new CatalogInstaller(deps) };
}

it('makes the app, its config, router settings, storage and add-ons, then queues the image with the entry\'s commands', async () => {
  const w = world();
  const lines: string[] = [];
  await w.installer.install('docs', 'wiki', { WIKI_ADMIN: 'ann' }, (l) => lines.push(l));
  expect(w.calls).toEqual([
    'create docs', 'memory docs 256', 'router docs {"maxBodyBytes":52428800}', 'volume docs /var/lib/wiki', 'addon postgres', 'addon redis',
    // What apps:upgrade reads: the entry, and the version the image is.
    'catalog docs {"id":"wiki","images":{"example/wiki:1.4.2":"1.4"}}',
    'deploy image example/wiki:1.4.2',
    `enqueue docs ${JSON.stringify({ processes: { web: 'wiki serve', worker: 'wiki jobs' }, manifest: { expose: { proto: 'http', port: 8080 }, healthcheck: { path: '/health' } } })}`,
  ]);
  expect(w.config).toMatchObject({
    WIKI_ADMIN: 'ann', WIKI_MODE: 'production', WIKI_DB: 'postgres://u:p@db/wiki', DATABASE_URL: 'postgres://u:p@db/wiki', WIKI_CACHE: 'redis://u:p@r/0',
  });
  expect(w.config.WIKI_SECRET).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(lines).toContain('       Config: WIKI_MODE, WIKI_ADMIN, WIKI_SECRET (secret)');
  expect(lines).toContain('       Add-on postgres: DATABASE_URL, POSTGRES_URL, WIKI_DB');
  expect(lines.join('\n')).not.toContain(w.config.WIKI_SECRET);
});

it('removes the half-made app when a step fails, and says why', async () => {
  const w = world({ failAddon: 'redis' });
  await expect(w.installer.install('docs', 'wiki', { WIKI_ADMIN: 'ann' }, () => {})).rejects.toThrow('the redis server does not answer');
  expect(w.calls).toEqual(['create docs', 'memory docs 256', 'router docs {"maxBodyBytes":52428800}', 'volume docs /var/lib/wiki', 'addon postgres', 'destroy docs']);
});
