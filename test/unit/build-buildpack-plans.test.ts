// build: every language's detection and BuildPlan (Dockerfile, build args and their operator overrides, default web).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/index.ts';
import { detect, loadBuildpacks, planFor, type Buildpack } from '../../src/build/index.ts';
import { BUILDPACKS_DIR, buildArgEnvName } from '../../src/build/buildpacks.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-plans-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const packs = loadBuildpacks();
const pack = (name: string) => packs.find((p) => p.name === name) as Buildpack;
const FIXTURES = join(BUILDPACKS_DIR, '..', 'test', 'fixtures', 'apps');

let n = 0;
function source(files: Record<string, string>): string {
  const dir = join(tmp, `src-${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const plan = (files: Record<string, string>, env: Record<string, string> = {}) => {
  const src = source(files);
  return planFor(src, detect(src, packs), env);
};

describe('detection order', () => {
  it.each([
    [{ Dockerfile: 'FROM x', 'package.json': '{}', 'index.html': '' }, 'dockerfile'],
    [{ 'package.json': '{}', 'requirements.txt': '', 'index.html': '' }, 'node'],
    [{ 'requirements.txt': '', Gemfile: '' }, 'python'],
    [{ 'pyproject.toml': '' }, 'python'],
    [{ Pipfile: '' }, 'python'],
    [{ Gemfile: '', 'go.mod': '' }, 'ruby'],
    [{ 'go.mod': '', 'index.html': '' }, 'go'],
    [{ 'index.html': '', 'style.css': '' }, 'static'],
  ])('%j is a %s app', (files, name) => {
    expect(detect(source(files), packs).name).toBe(name);
  });

  it.each(['node', 'python', 'ruby', 'go', 'static', 'dockerfile'])('detects the %s fixture app as itself', (name) => {
    expect(detect(join(FIXTURES, name), packs).name).toBe(name);
  });
});

describe('planFor: Dockerfile and build args', () => {
  it('points at the buildpack Dockerfile, with the official images as default build args', () => {
    const p = plan({ 'package.json': '{}' });
    expect(p.dockerfile).toBe(join(BUILDPACKS_DIR, 'node', 'Dockerfile'));
    expect(p.buildArgs).toEqual({ BASE_IMAGE: 'node:22-slim' });
    expect(p.baseImage).toBe('node:22-slim');
    expect(plan({ 'go.mod': '' }).buildArgs).toEqual({ BUILD_IMAGE: 'golang:1.23-bookworm', BASE_IMAGE: 'busybox:1.36' });
  });

  it('applies the operator overrides MINICLOUD_<ARG>_<PACK> and ignores those of other packs', () => {
    const env = { MINICLOUD_BUILD_IMAGE_GO: 'mirror/golang', MINICLOUD_BASE_IMAGE_NODE: 'mirror/node', MINICLOUD_BASE_IMAGE_GO: '' };
    expect(plan({ 'go.mod': '' }, env).buildArgs).toEqual({ BUILD_IMAGE: 'mirror/golang', BASE_IMAGE: 'busybox:1.36' });
    expect(plan({ 'package.json': '{}' }, env).buildArgs).toEqual({ BASE_IMAGE: 'mirror/node' });
    expect(buildArgEnvName('BASE_IMAGE', 'my-pack')).toBe('MINICLOUD_BASE_IMAGE_MY_PACK');
  });

  it('reads the overrides from process.env by default', () => {
    const saved = process.env.MINICLOUD_BASE_IMAGE_RUBY;
    process.env.MINICLOUD_BASE_IMAGE_RUBY = 'local/ruby';
    try {
      expect(planFor(source({ Gemfile: '', Procfile: 'web: ruby app.rb' }), pack('ruby')).buildArgs.BASE_IMAGE).toBe('local/ruby');
    } finally {
      if (saved === undefined) delete process.env.MINICLOUD_BASE_IMAGE_RUBY;
      else process.env.MINICLOUD_BASE_IMAGE_RUBY = saved;
    }
  });

  it('gives a repository Dockerfile no buildpack Dockerfile, no build args and no default web (the image CMD)', () => {
    const p = plan({ Dockerfile: 'FROM x', 'package.json': '{}' });
    expect(p).toMatchObject({ buildpack: 'dockerfile', dockerfile: null, buildArgs: {}, install: [], build: [], processes: {} });
    expect(plan({ Dockerfile: 'FROM x', Procfile: 'web: ./serve\nworker: ./work' }).processes).toEqual({ web: './serve', worker: './work' });
  });
});

describe('planFor: default web per language', () => {
  it('node: lockfile-aware install', () => {
    expect(plan({ 'package.json': '{}', 'yarn.lock': '' }).install).toEqual(['sh .minicloud/pm.sh yarn install --frozen-lockfile']);
    expect(plan({ 'package.json': '{}', 'pnpm-lock.yaml': '' }).install).toEqual(['sh .minicloud/pm.sh pnpm install --frozen-lockfile']);
  });

  it('python: gunicorn with app.py, uvicorn with main.py, else the Procfile', () => {
    expect(plan({ 'requirements.txt': 'flask\nGunicorn==22.0\n', 'app.py': '' }).processes.web).toBe('gunicorn --bind ${HOST:-0.0.0.0}:$PORT app:app');
    expect(plan({ 'pyproject.toml': '[project]\ndependencies = [\n  "uvicorn>=0.30",\n]\n', 'main.py': '' }).processes.web)
      .toBe('uvicorn main:app --host ${HOST:-0.0.0.0} --port $PORT');
    expect(plan({ 'requirements.txt': 'gunicorn\n', 'app.py': '', Procfile: 'web: gunicorn wsgi:application' }).processes.web)
      .toBe('gunicorn wsgi:application');
    expect(plan({ 'requirements.txt': '# nothing\n', Procfile: 'web: python3 app.py' }).processes.web).toBe('python3 app.py');
  });

  it('python: no Procfile web and no server to guess → a UserError saying what to add', () => {
    const cases: Array<Record<string, string>> = [
      { 'requirements.txt': 'requests\n' }, { 'requirements.txt': 'gunicorn\n' }, { 'requirements.txt': '', Procfile: 'worker: python w.py' },
    ];
    for (const files of cases) {
      let err: unknown;
      try {
        plan(files);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toBe('this python app has no web command');
      expect((err as UserError).hint).toMatch(/Procfile.*gunicorn.*uvicorn/);
    }
  });

  it('ruby: puma or rackup from the Gemfile, else the Procfile, else a UserError', () => {
    expect(plan({ Gemfile: "source 'x'\ngem 'puma', '~> 6'\n" }).processes.web).toBe('bundle exec puma -b tcp://${HOST:-0.0.0.0}:$PORT');
    expect(plan({ Gemfile: 'gem "rack"\n', 'config.ru': '' }).processes.web).toBe('bundle exec rackup -o ${HOST:-0.0.0.0} -p $PORT');
    expect(plan({ Gemfile: "source 'x'\n", Procfile: 'web: ruby app.rb' }).processes.web).toBe('ruby app.rb');
    expect(() => plan({ Gemfile: 'gem "rack"\n' })).toThrow(/ruby app has no web command/);
  });

  it('go: builds bin/web and runs it', () => {
    const p = plan({ 'go.mod': 'module x\n' });
    expect(p.processes).toEqual({ web: 'bin/web' });
    expect(p.install).toEqual([]);
    expect(p.build).toEqual(['sh .minicloud/go-build.sh']);
    expect(plan({ 'go.mod': 'module x\n', 'go.sum': '' }).install).toEqual(['go mod download']);
  });

  it('static: busybox httpd on $PORT in the image', () => {
    expect(plan({ 'index.html': '' }).processes).toEqual({ web: 'busybox httpd -f -p $PORT -h /site' });
  });
});
