// build: the host builder runs a real plan (npm install, npm run build) in a temp source tree.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type BuildPlan } from '../../src/core/index.ts';
import { HostBuilder, loadBuildpacks, planFor, type Buildpack } from '../../src/build/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-'));
const cacheDir = join(tmp, 'cache');
const node = loadBuildpacks().find((p) => p.name === 'node') as Buildpack;
let n = 0;

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// build.js prints what the build step sees, one line per fact.
const BUILD_JS = `
console.log('first line');
console.log('second line');
console.error('to stderr');
console.log('GREETING=' + (process.env.GREETING ?? '<unset>'));
console.log('MINICLOUD_TOKEN=' + (process.env.MINICLOUD_TOKEN ?? '<unset>'));
console.log('MINICLOUD_SECRET_X=' + (process.env.MINICLOUD_SECRET_X ?? '<unset>'));
console.log('CI=' + process.env.CI);
console.log('NPM_CACHE=' + process.env.npm_config_cache);
`;

function app(scripts: Record<string, string>, extra: Record<string, string> = {}): string {
  const dir = join(tmp, `app-${++n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `app${n}`, version: '1.0.0', private: true, scripts }));
  for (const [f, t] of Object.entries(extra)) writeFileSync(join(dir, f), t);
  return dir;
}

describe('HostBuilder.build', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of ['MINICLOUD_TOKEN', 'MINICLOUD_SECRET_X']) saved[k] = process.env[k];
    process.env.MINICLOUD_TOKEN = 'server-secret-token';
    process.env.MINICLOUD_SECRET_X = 'another-secret';
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('runs install and build, streams each output line to log prefixed, and returns a dir artifact', async () => {
    const src = app({ build: 'node build.js', start: 'node server.js' }, { 'build.js': BUILD_JS, Procfile: 'web: node server.js\n' });
    const plan = planFor(src, node);
    expect(plan.install).toEqual(['npm install']);
    expect(plan.build).toEqual(['npm run build']);
    const lines: string[] = [];
    const builder = new HostBuilder({ cacheDir, stepTimeoutMs: 60_000 });
    const artifact = await builder.build({ app: 'hello', sourceDir: src, plan, config: { GREETING: 'hi there' }, log: (l) => lines.push(l) });

    expect(artifact).toEqual({ kind: 'dir', dir: src, buildpack: 'node', processes: { web: 'node server.js' }, manifest: {} });
    expect(lines).toContain('-----> Running npm install');
    expect(lines).toContain('-----> Running npm run build');
    expect(lines.indexOf('-----> Running npm install')).toBeLessThan(lines.indexOf('-----> Running npm run build'));
    const after = lines.slice(lines.indexOf('-----> Running npm run build'));
    for (const l of ['first line', 'second line', 'to stderr']) expect(after).toContain(`       ${l}`);
    expect(after.indexOf('       first line')).toBeLessThan(after.indexOf('       second line'));
    // every line but the step headers is indented
    expect(lines.filter((l) => !l.startsWith('-----> ')).every((l) => l.startsWith('       '))).toBe(true);
    // config vars reach the build; minicloud's own environment does not
    expect(after).toContain('       GREETING=hi there');
    expect(after).toContain('       MINICLOUD_TOKEN=<unset>');
    expect(after).toContain('       MINICLOUD_SECRET_X=<unset>');
    expect(after).toContain('       CI=true');
    // the {cache} placeholder became a per-app directory under cacheDir
    expect(after).toContain(`       NPM_CACHE=${join(cacheDir, 'hello', 'npm')}`);
    expect(existsSync(join(cacheDir, 'hello'))).toBe(true);
    expect(existsSync(join(src, 'package-lock.json'))).toBe(true);
  });

  it('fails a build whose script exits non-zero with a UserError naming the command and exit code', async () => {
    const src = app({ build: 'echo about to fail && exit 3' });
    const plan = planFor(src, node);
    const lines: string[] = [];
    const err = await new HostBuilder({ cacheDir, stepTimeoutMs: 60_000 })
      .build({ app: 'broken', sourceDir: src, plan, config: {}, log: (l) => lines.push(l) })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('`npm run build` failed with exit code 3');
    expect((err as UserError).hint).toMatch(/push again/);
    expect(lines).toContain('       about to fail');
  });

  it('stops at the first failing step and runs no later one', async () => {
    const src = app({});
    const plan: BuildPlan = {
      buildpack: 'custom', baseImage: 'x', dockerfile: '', buildArgs: {}, cacheDirs: [], env: {}, processes: { web: 'true' },
      install: ['exit 7'], build: ['touch built-marker'],
    };
    const lines: string[] = [];
    await expect(new HostBuilder({ cacheDir, stepTimeoutMs: 60_000 })
      .build({ app: 'custom', sourceDir: src, plan, config: {}, log: (l) => lines.push(l) }))
      .rejects.toThrow('`exit 7` failed with exit code 7');
    expect(lines).toEqual(['-----> Running exit 7']);
    expect(existsSync(join(src, 'built-marker'))).toBe(false);
  });

  it('kills a step past its timeout (its whole process group) and fails the build', async () => {
    const src = app({});
    const plan: BuildPlan = {
      buildpack: 'custom', baseImage: 'x', dockerfile: '', buildArgs: {}, cacheDirs: [], env: {}, processes: { web: 'true' },
      install: ['(sleep 30; touch late-marker) & echo started; wait'], build: [],
    };
    const lines: string[] = [];
    const err = await new HostBuilder({ cacheDir, stepTimeoutMs: 500 })
      .build({ app: 'slow', sourceDir: src, plan, config: {}, log: (l) => lines.push(l) })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/failed with exit code/);
    expect(lines).toContain('       started');
    expect(lines.some((l) => l.includes('timed out after'))).toBe(true);
  });
});

describe('HostBuilder.build after an earlier build (a code-only push)', () => {
  // A hand-made plan: its install step leaves a mark, so whether it ran is plain to see.
  const plan = (): BuildPlan => ({
    buildpack: 'node', baseImage: '', dockerfile: null as unknown as string, buildArgs: {}, cacheDirs: [], env: {}, processes: { web: 'node s.js' },
    install: ['mkdir -p node_modules/dep && echo installed >> node_modules/dep/index.js && echo ran-install'], build: [],
    reuse: { dir: 'node_modules', files: ['package.json', 'package-lock.json'] },
  });
  const builds = join(tmp, 'builds', 'reuser');
  const tree = (id: string, pkg = '{"name":"r"}', extra: Record<string, string> = {}) => {
    const dir = join(builds, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), pkg);
    for (const [f, t] of Object.entries(extra)) { mkdirSync(join(dir, f, '..'), { recursive: true }); writeFileSync(join(dir, f), t); }
    return dir;
  };
  const build = async (src: string, previous?: { dir: string; version: number; config: Record<string, string> }, config: Record<string, string> = {}) => {
    const lines: string[] = [];
    await new HostBuilder({ cacheDir, stepTimeoutMs: 60_000 }).build({ app: 'reuser', sourceDir: src, plan: { ...plan(), dockerfile: '' }, config, log: (l) => lines.push(l), ...(previous && { previous }) });
    return lines;
  };

  it('copies node_modules from the previous build instead of installing when package.json, lockfile and config are unchanged', async () => {
    const v1 = tree('d1');
    expect(await build(v1)).toContain('       ran-install');
    const v2 = tree('d2');
    const lines = await build(v2, { dir: v1, version: 1, config: {} });
    expect(lines).toContain('-----> node_modules of v1 reused: package.json and the config are unchanged');
    expect(lines).not.toContain('       ran-install');
    expect(readFileSync(join(v2, 'node_modules/dep/index.js'), 'utf8')).toBe('installed\n');
    // A copy, not links: the new build writing there leaves the running release's files alone.
    writeFileSync(join(v2, 'node_modules/dep/index.js'), 'changed');
    expect(readFileSync(join(v1, 'node_modules/dep/index.js'), 'utf8')).toBe('installed\n');
  });

  it('installs when package.json, the lockfile or the config changed, the tree brings node_modules, or the earlier build is not a sibling', async () => {
    const v1 = tree('e1', '{"name":"r"}', { 'package-lock.json': '{}' });
    await build(v1);
    const prev = { dir: v1, version: 1, config: { A: '1' } };
    expect(await build(tree('e2', '{"name":"r","dependencies":{}}', { 'package-lock.json': '{}' }), prev, { A: '1' })).toContain('       ran-install');
    expect(await build(tree('e3', '{"name":"r"}', { 'package-lock.json': '{ }' }), prev, { A: '1' })).toContain('       ran-install');
    expect(await build(tree('e4', '{"name":"r"}', { 'package-lock.json': '{}' }), prev, { A: '2' })).toContain('       ran-install');
    expect(await build(tree('e5', '{"name":"r"}', { 'package-lock.json': '{}' }), prev, { A: '1', NODE_MODULES_CACHE: 'false' })).toContain('       ran-install');
    expect(await build(tree('e6', '{"name":"r","scripts":{"postinstall":"x"}}', { 'package-lock.json': '{}' }), { ...prev, dir: tree('e6p', '{"name":"r","scripts":{"postinstall":"x"}}', { 'package-lock.json': '{}', 'node_modules/x': '' }) }, { A: '1' })).toContain('       ran-install');
    const shipped = await build(tree('e7', '{"name":"r"}', { 'package-lock.json': '{}', 'node_modules/own.js': '' }), prev, { A: '1' });
    expect(shipped).toContain('       ran-install');
    const elsewhere = join(tmp, 'builds', 'other-app', 'x');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'package.json'), '{"name":"r"}');
    writeFileSync(join(elsewhere, 'package-lock.json'), '{}');
    mkdirSync(join(elsewhere, 'node_modules'));
    expect(await build(tree('e8', '{"name":"r"}', { 'package-lock.json': '{}' }), { ...prev, dir: elsewhere }, { A: '1' })).toContain('       ran-install');
    // And the same tree and config again: reused.
    expect(await build(tree('e9', '{"name":"r"}', { 'package-lock.json': '{}' }), prev, { A: '1' })).toContain('-----> node_modules of v1 reused: package.json, package-lock.json and the config are unchanged');
  });
});
