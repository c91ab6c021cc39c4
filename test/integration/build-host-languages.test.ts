// build: the host builder builds each language's fixture app with the host's toolchains, and the result answers on $PORT.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UserError, artifactRef, baseEnv, type Artifact } from '../../src/core/index.ts';
import { HostBuilder, detect, loadBuildpacks, planFor } from '../../src/build/index.ts';
import { BUILDPACKS_DIR } from '../../src/build/buildpacks.ts';
import { freePort, get, until } from '../helpers/net.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-host-langs-'));
const FIXTURES = join(BUILDPACKS_DIR, '..', 'test', 'fixtures', 'apps');
const packs = loadBuildpacks();
const builder = new HostBuilder({ cacheDir: join(tmp, 'cache'), stepTimeoutMs: 120_000 });
const running: ChildProcess[] = [];

afterEach(() => {
  for (const c of running.splice(0)) { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Builds the source tree as a push would (detect, plan without operator overrides, host builder). */
async function build(src: string, config: Record<string, string> = {}): Promise<{ artifact: Artifact; log: string[] }> {
  const log: string[] = [];
  const plan = planFor(src, detect(src, packs), {});
  const artifact = await builder.build({ app: 'langs', sourceDir: src, plan, config, log: (l) => log.push(l) });
  return { artifact, log };
}

/** Runs the web process as the process runtime does (`sh -c "exec <command>"` in the release dir) and returns its answer to GET /. */
async function serve(artifact: Artifact): Promise<string> {
  return (await serveOn(artifact)).body;
}

async function serveOn(artifact: Artifact): Promise<{ port: number; body: string }> {
  const port = await freePort();
  const child = spawn('/bin/sh', ['-c', `exec ${artifact.processes.web}`], {
    cwd: artifactRef(artifact), env: baseEnv({ PORT: String(port) }), detached: true, stdio: 'ignore',
  });
  running.push(child);
  const reply = await until(`the ${artifact.buildpack} app on port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const r = await get(port, 'localhost');
    return r.status === 200 ? r : undefined;
  });
  return { port, body: reply.body };
}

function fixture(name: string): string {
  const dir = join(tmp, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

// Go compiles its standard library on a first build: minutes on a busy machine, under vitest's generous ceiling.
describe('HostBuilder, one fixture app per language', () => {
  it('python (standard library, web from the Procfile)', async () => {
    const { artifact, log } = await build(fixture('python'));
    expect(artifact.buildpack).toBe('python');
    expect(log).toContain('       No Python dependencies to install');
    expect(artifact.processes.web).toBe('python3 app.py');
    expect(await serve(artifact)).toBe('hello from python\n');
  });

  it('go (a static binary in bin/web)', async () => {
    const { artifact } = await build(fixture('go'));
    expect(artifact.processes.web).toBe('bin/web');
    expect(existsSync(join(artifactRef(artifact), 'bin', 'web'))).toBe(true);
    expect(await serve(artifact)).toBe('hello from go\n');
  });

  it('static (the buildpack\'s Node server instead of busybox httpd, hidden files not served)', async () => {
    const { artifact } = await build(fixture('static'));
    expect(artifact.processes.web).toBe('node .minicloud/static-server.mjs');
    const { port, body } = await serveOn(artifact);
    expect(body).toContain('<h1>hello from static</h1>');
    const css = await get(port, 'localhost', '/style.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect((await get(port, 'localhost', '/.minicloud/static-server.mjs')).status).toBe(404);
    expect((await get(port, 'localhost', '/../../etc/passwd')).status).toBe(404);
  });

  it('ruby (no gems: no bundle install, web from the Procfile)', async () => {
    const { artifact, log } = await build(fixture('ruby'));
    expect(log).toContain('       No gems to install');
    expect(await serve(artifact)).toBe('hello from ruby\n');
  });

  it('a Dockerfile app fails on the host builder with a UserError saying it needs the Docker runtime', async () => {
    const err = await build(fixture('dockerfile')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/Dockerfile app needs the Docker runtime/);
    expect((err as UserError).hint).toMatch(/remove the Dockerfile/);
  });
});

describe('HostBuilder, dependencies installed without a package index', () => {
  it('python: a requirement (a local wheel with a console script) goes into .venv, whose bin/ the processes get on PATH', async () => {
    const src = join(tmp, 'py-wheel');
    mkdirSync(src);
    // A wheel made by hand: package `greet` with a `greet-server` console script serving GET / on $PORT.
    execFileSync('python3', ['-c', WHEEL_MAKER], { cwd: src });
    writeFileSync(join(src, 'requirements.txt'), './greet-1.0-py3-none-any.whl\n');
    writeFileSync(join(src, 'Procfile'), 'web: greet-server\n');
    const { artifact } = await build(src, { PIP_NO_INDEX: '1' });
    expect(existsSync(join(src, '.venv', 'bin', 'greet-server'))).toBe(true);
    expect(artifact.processes.web).toBe(`env PATH="${join(src, '.venv', 'bin')}:$PATH" greet-server`);
    expect(await serve(artifact)).toBe('hello from a wheel\n');
  });

  it('ruby: a path gem is bundled into vendor/bundle and `bundle exec` finds it at run time', async () => {
    const src = join(tmp, 'rb-gem');
    mkdirSync(join(src, 'greet', 'lib'), { recursive: true });
    writeFileSync(join(src, 'greet', 'greet.gemspec'), GEMSPEC);
    writeFileSync(join(src, 'greet', 'lib', 'greet.rb'), "module Greet\n  def self.hello = \"hello from a gem\\n\"\nend\n");
    writeFileSync(join(src, 'Gemfile'), "gem 'greet', path: 'greet'\n");
    writeFileSync(join(src, 'app.rb'), RUBY_APP);
    writeFileSync(join(src, 'Procfile'), 'web: bundle exec ruby app.rb\n');
    const { artifact, log } = await build(src);
    expect(log.some((l) => /Bundle complete/.test(l))).toBe(true);
    expect(existsSync(join(src, '.bundle', 'config'))).toBe(true);
    expect(await serve(artifact)).toBe('hello from a gem\n');
  });
});

const WHEEL_MAKER = `
import base64, hashlib, zipfile
files = {
  'greet/__init__.py': '''import os
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello from a wheel\\\\n")
def main():
    HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
''',
  'greet-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: greet\\nVersion: 1.0\\n',
  'greet-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: hand\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
  'greet-1.0.dist-info/entry_points.txt': '[console_scripts]\\ngreet-server = greet:main\\n',
}
rows = []
with zipfile.ZipFile('greet-1.0-py3-none-any.whl', 'w') as z:
  for name, text in files.items():
    data = text.encode()
    z.writestr(name, data)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    rows.append(f'{name},sha256={digest},{len(data)}')
  rows.append('greet-1.0.dist-info/RECORD,,')
  z.writestr('greet-1.0.dist-info/RECORD', '\\n'.join(rows) + '\\n')
`;

const GEMSPEC = `Gem::Specification.new do |s|
  s.name = 'greet'
  s.version = '1.0.0'
  s.summary = 'fixture gem'
  s.authors = ['minicloud']
  s.files = ['lib/greet.rb']
end
`;

const RUBY_APP = `require 'socket'
require 'greet'
server = TCPServer.new('0.0.0.0', Integer(ENV['PORT']))
loop do
  c = server.accept
  while (line = c.gets) && line != "\\r\\n"; end
  body = Greet.hello
  c.write "HTTP/1.1 200 OK\\r\\ncontent-length: #{body.bytesize}\\r\\nconnection: close\\r\\n\\r\\n#{body}"
  c.close
end
`;
