// build: Procfile parsing, buildpacks as data, detection and the BuildPlan a buildpack makes for a source tree.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/index.ts';
import { detect, loadBuildpacks, parseProcfile, planFor, type Buildpack } from '../../src/build/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh source tree with the given files. */
function source(files: Record<string, string>): string {
  const dir = join(tmp, `src-${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const pkg = (scripts: Record<string, string> = {}) => JSON.stringify({ name: 'app', version: '1.0.0', scripts });

function catchUserError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parseProcfile', () => {
  it('reads `type: command` lines, skipping comments and blank lines, trimming spaces', () => {
    const text = [
      '# processes',
      '',
      'web: node server.js --port $PORT',
      '   ',
      '  worker :   node worker.js  ',
      '\t# indented comment',
      'release: node migrate.js',
      'clock:node clock.js',
    ].join('\n');
    expect(parseProcfile(text)).toEqual({
      web: 'node server.js --port $PORT',
      worker: 'node worker.js',
      release: 'node migrate.js',
      clock: 'node clock.js',
    });
  });

  it('handles CRLF line ends and keeps colons inside the command', () => {
    expect(parseProcfile('web: node -e "a:b"\r\nworker: x\r\n')).toEqual({ web: 'node -e "a:b"', worker: 'x' });
  });

  it('gives {} for an empty or comment-only file', () => {
    expect(parseProcfile('')).toEqual({});
    expect(parseProcfile('# nothing\n\n')).toEqual({});
  });

  it.each([
    ['web node server.js', 3],
    ['web:', 3],
    ['Web: node x', 3],
    ['1web: node x', 3],
    [': node x', 3],
  ])('refuses %j, naming the line number', (bad, line) => {
    const e = catchUserError(() => parseProcfile(`# header\nworker: ok\n${bad}\nweb: fine`));
    expect(e.message).toContain(`line ${line}`);
    expect(e.message).toContain(JSON.stringify(bad.trim()));
    expect(e.hint).toContain('web: node server.js');
  });

  it('counts blank lines and comments in the line number', () => {
    const e = catchUserError(() => parseProcfile('\n\n# c\n\nbroken line here'));
    expect(e.message).toContain('line 5');
  });
});

describe('loadBuildpacks', () => {
  it('finds the node buildpack in the repo with its detect files, steps and start command', () => {
    const packs = loadBuildpacks();
    const node = packs.find((p) => p.name === 'node');
    expect(node).toBeDefined();
    expect(node!.detect).toContain('package.json');
    expect(node!.start).toBe('npm start');
    expect(node!.dir).toMatch(/buildpacks[/\\]node$/);
    // a repository Dockerfile first, then the languages in their detection order
    expect(packs.map((p) => p.name)).toEqual(['dockerfile', 'node', 'python', 'ruby', 'go', 'static']);
  });

  it('reads a directory: only subdirectories with a buildpack.json, known names first in their order', () => {
    const dir = join(tmp, 'packs');
    const write = (name: string, detectFiles: string[]) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'buildpack.json'), JSON.stringify({
        name, description: name, detect: detectFiles, buildArgs: { BASE_IMAGE: `img/${name}` }, install: [], build: [],
        start: `${name}-start`, cacheEnv: {}, env: {}, cacheDirs: [],
      }));
    };
    write('zeta', ['zeta.txt']);
    write('static', ['index.html']);
    write('alpha', ['alpha.txt']);
    write('python', ['requirements.txt']);
    write('node', ['package.json']);
    mkdirSync(join(dir, 'not-a-pack'));
    writeFileSync(join(dir, 'README'), 'x');
    const packs = loadBuildpacks(dir);
    expect(packs.map((p) => p.name)).toEqual(['node', 'python', 'static', 'alpha', 'zeta']);
    expect(packs.every((p) => p.dir === join(dir, p.name))).toBe(true);
    // the first pack whose files are present wins
    expect(detect(source({ 'index.html': '', 'requirements.txt': '' }), packs).name).toBe('python');
    expect(detect(source({ 'zeta.txt': '', 'alpha.txt': '' }), packs).name).toBe('alpha');
  });
});

describe('detect', () => {
  const packs = loadBuildpacks();

  it('picks node for a directory with package.json', () => {
    expect(detect(source({ 'package.json': pkg() }), packs).name).toBe('node');
  });

  it('refuses an empty directory with a UserError listing what each buildpack looks for', () => {
    const e = catchUserError(() => detect(source({}), packs));
    expect(e.message).toMatch(/no buildpack/);
    expect(e.hint).toContain('node (package.json)');
    for (const p of packs) expect(e.hint).toContain(`${p.name} (${p.detect.join(', ')})`);
  });

  it('does not look into subdirectories', () => {
    const dir = source({});
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'package.json'), pkg());
    expect(() => detect(dir, packs)).toThrow(UserError);
  });
});

describe('planFor (node)', () => {
  const node = loadBuildpacks().find((p) => p.name === 'node') as Buildpack;

  it('installs with `npm ci` when package-lock.json exists', () => {
    const plan = planFor(source({ 'package.json': pkg(), 'package-lock.json': '{}' }), node);
    expect(plan.install).toEqual(['npm ci']);
  });

  it('installs with `npm ci` when npm-shrinkwrap.json exists', () => {
    expect(planFor(source({ 'package.json': pkg(), 'npm-shrinkwrap.json': '{}' }), node).install).toEqual(['npm ci']);
  });

  it('installs with `npm install` without a lock file, and only one install step ever', () => {
    expect(planFor(source({ 'package.json': pkg() }), node).install).toEqual(['npm install']);
    const both = planFor(source({ 'package.json': pkg(), 'package-lock.json': '{}', 'npm-shrinkwrap.json': '{}' }), node);
    expect(both.install).toEqual(['npm ci']);
  });

  it('runs `npm run build` only when package.json has a build script', () => {
    expect(planFor(source({ 'package.json': pkg({ build: 'tsc' }) }), node).build).toEqual(['npm run build']);
    expect(planFor(source({ 'package.json': pkg({ start: 'node x', test: 'x' }) }), node).build).toEqual([]);
    expect(planFor(source({ 'package.json': pkg() }), node).build).toEqual([]);
    expect(planFor(source({ 'package.json': '{ not json' }), node).build).toEqual([]);
  });

  it('runs web with `npm start` without a Procfile', () => {
    expect(planFor(source({ 'package.json': pkg() }), node).processes).toEqual({ web: 'npm start' });
  });

  it('lets the Procfile web: override `npm start` and adds its other types', () => {
    const plan = planFor(source({ 'package.json': pkg(), Procfile: 'web: node server.js\nworker: node w.js\n' }), node);
    expect(plan.processes).toEqual({ web: 'node server.js', worker: 'node w.js' });
  });

  it('adds web: npm start beside a Procfile without web', () => {
    const plan = planFor(source({ 'package.json': pkg(), Procfile: 'worker: node w.js' }), node);
    expect(plan.processes).toEqual({ worker: 'node w.js', web: 'npm start' });
  });

  it('refuses a bad Procfile with the UserError naming its line', () => {
    expect(() => planFor(source({ 'package.json': pkg(), Procfile: 'web: ok\nnonsense' }), node)).toThrow(/line 2/);
  });

  it('carries the buildpack name, base image, cache dirs and env, the npm cache under the {cache} placeholder', () => {
    const plan = planFor(source({ 'package.json': pkg() }), node, {});
    expect(plan.buildpack).toBe('node');
    expect(plan.baseImage).toBe('node:22-slim');
    expect(plan.cacheDirs).toEqual(node.cacheDirs);
    expect(plan.env.npm_config_cache).toContain('{cache}');
    expect(plan.env).toMatchObject(node.env);
  });

  it('does not share its processes or env objects with the buildpack', () => {
    const plan = planFor(source({ 'package.json': pkg() }), node);
    plan.processes.web = 'changed';
    plan.env.X = 'y';
    expect(planFor(source({ 'package.json': pkg() }), node).processes.web).toBe('npm start');
    expect(node.env.X).toBeUndefined();
  });
});
