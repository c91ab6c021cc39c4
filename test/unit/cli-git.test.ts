// CLI tests of login, the git credential helper and linking a repo: real HTTP server, real git, real launcher.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const LAUNCHER = fileURLToPath(new URL('../../scripts/minicloud.mjs', import.meta.url));

let server: Server;
let baseUrl: string;
let requests: string[];
let home: string;

beforeEach(async () => {
  requests = [];
  home = mkdtempSync(join(tmpdir(), 'minicloud-cli-git-'));
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    if (req.headers.authorization !== 'Bearer good-token') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid token"}');
    } else if (req.url === '/api/me') {
      res.writeHead(200).end('{"ok":true}');
    } else if (req.url === '/api/apps/my-app' || req.url === '/api/apps') {
      const app = { name: 'my-app', deployBranch: 'main', createdAt: '', currentRelease: null, state: 'running', url: 'http://my-app.localhost', gitUrl: `${baseUrl}/git/my-app.git` };
      res.writeHead(req.method === 'POST' ? 201 : 200).end(JSON.stringify(app));
    } else {
      res.writeHead(404).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((ok) => server.close(ok));
  rmSync(home, { recursive: true, force: true });
});

const baseEnv = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') });

async function run(argv: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
    env: { ...baseEnv(), ...opts.env },
    cwd: opts.cwd ?? home,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function gitRepo(): string {
  const dir = join(home, 'repo');
  mkdirSync(dir);
  execFileSync('git', ['init', '-q', dir]);
  return dir;
}

const gitConfig = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['config', '--local', ...args], { cwd, encoding: 'utf8' }).replace(/\n$/, '');

describe('login', () => {
  it('reads URL and token from piped stdin, checks them, saves them 0600', async () => {
    const r = await run(['login'], { stdin: `${baseUrl}/\ngood-token\n` });
    expect(r).toMatchObject({ code: 0, stdout: `Logged in to ${baseUrl}\n` });
    expect(requests).toEqual(['GET /api/me Bearer good-token']);
    const file = join(home, 'xdg', 'minicloud', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: baseUrl, token: 'good-token' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'xdg', 'minicloud')).mode & 0o777).toBe(0o700);
    // Later commands use the saved login without any env.
    expect((await run(['apps:info', 'my-app'])).code).toBe(0);
  });

  it('does not save a token the server refuses', async () => {
    const r = await run(['login', baseUrl], { env: { MINICLOUD_TOKEN: 'bad' } });
    expect(r).toMatchObject({ code: 1, stderr: ' !     invalid token\n !     run `minicloud login` with a valid token\n' });
    expect(() => statSync(join(home, 'xdg', 'minicloud', 'config.json'))).toThrow();
  });
});

describe('git credential helper', () => {
  it('answers get with the token and ignores store/erase', async () => {
    const stdin = 'protocol=http\nhost=127.0.0.1\n\n';
    const get = await run(['git:credential', 'get'], { stdin, env: { MINICLOUD_TOKEN: 'good-token' } });
    expect(get).toEqual({ code: 0, stdout: 'username=minicloud\npassword=good-token\n', stderr: '' });
    const store = await run(['git:credential', 'store'], { stdin, env: { MINICLOUD_TOKEN: 'good-token' } });
    expect(store).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('works through the launcher, as git runs it', async () => {
    const { stdout } = await new Promise<{ stdout: string }>((ok, fail) => {
      const child = execFile(process.execPath, [LAUNCHER, 'git:credential', 'get'], { env: { ...process.env, ...baseEnv(), MINICLOUD_TOKEN: 'tok' } }, (e, stdout) =>
        e ? fail(e) : ok({ stdout }),
      );
      child.stdin?.end('protocol=http\nhost=x\n\n');
    });
    expect(stdout).toBe('username=minicloud\npassword=tok\n');
  });
});

describe('linking a repo', () => {
  it('apps:create inside a git repo adds the remote and the credential helper', async () => {
    const repo = gitRepo();
    const r = await run(['apps:create', 'my-app'], { cwd: repo, env: { MINICLOUD_URL: baseUrl, MINICLOUD_TOKEN: 'good-token' } });
    expect(r.code).toBe(0);
    const gitUrl = `${baseUrl}/git/my-app.git`;
    expect(r.stdout).toContain(`Git remote minicloud added: ${gitUrl}`);
    expect(r.stdout).toContain('token as the password');
    expect(execFileSync('git', ['remote', 'get-url', 'minicloud'], { cwd: repo, encoding: 'utf8' }).trim()).toBe(gitUrl);
    const helpers = gitConfig(repo, '--get-all', `credential.${baseUrl}.helper`).split('\n');
    expect(helpers).toEqual(['', `!${process.execPath} ${LAUNCHER} git:credential`]);
    expect(gitConfig(repo, `credential.${baseUrl}.username`)).toBe('minicloud');

    // git itself resolves the credential through the helper.
    const filled = execFileSync('git', ['credential', 'fill'], {
      cwd: repo,
      input: `url=${gitUrl}\n\n`,
      env: { ...process.env, ...baseEnv(), MINICLOUD_TOKEN: 'good-token', GIT_TERMINAL_PROMPT: '0' },
      encoding: 'utf8',
    });
    expect(filled).toContain('username=minicloud\npassword=good-token\n');
  });

  it('apps:create in a repo on master links it once and says to push master', async () => {
    const repo = gitRepo();
    execFileSync('git', ['symbolic-ref', 'HEAD', 'refs/heads/master'], { cwd: repo });
    const r = await run(['apps:create', 'my-app'], { cwd: repo, env: { MINICLOUD_URL: baseUrl, MINICLOUD_TOKEN: 'good-token' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Git remote minicloud added');
    expect(r.stdout).not.toContain('git remote add');
    expect(r.stdout).toContain('Deploy with: git push minicloud master');
  });

  it("apps:create inside minicloud's own checkout adds no remote to it", async () => {
    const repo = gitRepo();
    mkdirSync(join(repo, 'src', 'cli'), { recursive: true });
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'minicloud', type: 'module' }));
    writeFileSync(join(repo, 'src', 'cli', 'main.ts'), '');
    const r = await run(['apps:create', 'my-app'], { cwd: join(repo, 'src'), env: { MINICLOUD_URL: baseUrl, MINICLOUD_TOKEN: 'good-token' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("This is minicloud's own repository, so no remote was added here");
    expect(r.stdout).toContain(`git remote add minicloud ${baseUrl}/git/my-app.git`);
    expect(r.stdout).not.toContain('Git remote minicloud added');
    expect(execFileSync('git', ['remote'], { cwd: repo, encoding: 'utf8' })).toBe('');
    expect(() => gitConfig(repo, '--get-all', `credential.${baseUrl}.helper`)).toThrow();
  });

  it('git:remote -r adds a named remote, idempotently, and refuses outside a repo', async () => {
    const repo = gitRepo();
    const env = { MINICLOUD_URL: baseUrl, MINICLOUD_TOKEN: 'good-token' };
    expect((await run(['git:remote', 'my-app', '-r', 'prod'], { cwd: repo, env })).code).toBe(0);
    const again = await run(['git:remote', '-a', 'my-app', '-r', 'prod'], { cwd: repo, env });
    expect(again.stdout).toContain('already points at');
    expect(gitConfig(repo, '--get-all', `credential.${baseUrl}.helper`).split('\n')).toHaveLength(2);
    const outside = await run(['git:remote', 'my-app'], { cwd: home, env });
    expect(outside).toMatchObject({ code: 1 });
    expect(outside.stderr).toContain('not inside a git repository');
  });
});
