// The CLI on a laptop: installed with npm from the server's own /cli.tgz over HTTPS (no registry, no tsx), logged in
// with the server URL and a token typed at its prompt, then creating an app and deploying it with git over HTTPS.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis } from '../helpers/redis.ts';
import { startPebble, untilPebbleIssued, type Pebble } from '../helpers/pebble.ts';
import { freePort, get } from '../helpers/net.ts';
import { fixtureRepo, git } from '../helpers/git.ts';
import { descendants } from '../helpers/proc.ts';
import { hostsFile, runWithHosts } from '../helpers/hosts.ts';

const DOMAIN = 'laptop.example.net';
const ADMIN = `admin.${DOMAIN}`;

let redis: Awaited<ReturnType<typeof startRedis>>;
let pebble: Pebble;
let mc: Minicloud;
let url: string;
let hosts: string;
const dir = mkdtempSync(join(tmpdir(), 'mc-laptop-'));
const prefix = join(dir, 'prefix');
const home = join(dir, 'home');
const ca = join(dir, 'server-ca.pem');

/** A laptop's environment: its own HOME, the test CA trusted (as a company CA would be), no minicloud settings. */
function laptopEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NODE_EXTRA_CA_CERTS: ca, GIT_SSL_CAINFO: ca, GIT_TERMINAL_PROMPT: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('MINICLOUD_') || k.startsWith('npm_') || k.startsWith('VITEST')) delete env[k];
  delete env.XDG_CONFIG_HOME;
  delete env.NODE_OPTIONS;
  return { ...env, npm_config_userconfig: join(home, '.npmrc'), npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
}

beforeAll(async () => {
  mkdirSync(home);
  redis = await startRedis();
  const httpPort = await freePort();
  pebble = await startPebble(httpPort);
  mc = await startMinicloud(redis.url, {
    MINICLOUD_HTTP_PORT: String(httpPort), MINICLOUD_DOMAIN: DOMAIN,
    MINICLOUD_ACME_DIRECTORY: pebble.directory, MINICLOUD_ACME_EMAIL: 'ops@example.net', MINICLOUD_ACME_CA_BUNDLE: pebble.listenerCa,
    MINICLOUD_ACME_SELF_CHECK: 'off', MINICLOUD_ACME_POLL_INTERVAL: '0.1', MINICLOUD_ACME_RETRY_MIN: '1',
  });
  writeFileSync(ca, await pebble.root());
  url = `https://${ADMIN}:${mc.httpsPort}`;
  hosts = hostsFile([ADMIN]);
  await untilPebbleIssued(mc.httpsPort, ADMIN, 60_000);
});

afterAll(async () => {
  await mc?.stop();
  await pebble?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI installed from the server', () => {
  it('installs with npm from https://admin.<domain>/cli.tgz: one plain-JavaScript file, no dependencies', async () => {
    expect(mc.output()).toContain(`npm install -g ${url}/cli.tgz`);
    const r = await runWithHosts(hosts, 'npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `${url}/cli.tgz`], { env: laptopEnv(), timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const pkg = join(prefix, 'lib', 'node_modules', 'minicloud-cli');
    expect(readdirSync(pkg).sort()).toEqual(['minicloud.mjs', 'package.json']);
    // Plain JavaScript that imports only Node's own modules: no tsx, no TypeScript, nothing to fetch.
    const code = readFileSync(join(pkg, 'minicloud.mjs'), 'utf8');
    // `from "…"` only in an import or export statement: the code itself may say `flag(args, "from")`.
    const specs = [...code.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.filter((x) => !x!.startsWith('node:'))).toEqual([]);
    const version = await runWithHosts(hosts, join(prefix, 'bin', 'minicloud'), ['--version'], { env: laptopEnv() });
    expect(version.stdout).toMatch(/^minicloud \d+\.\d+\.\d+\n$/);
    // The server bundled it with esbuild, whose helper process did not stay.
    expect(descendants(mc.pid()!).map((p) => p.cmd).join('\n')).not.toMatch(/esbuild|tsx/);
  });

  it('logs in with the server URL, the token typed at the prompt (piped here)', async () => {
    const r = await runWithHosts(hosts, join(prefix, 'bin', 'minicloud'), ['login', url], { env: laptopEnv(), input: `${mc.token}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Logged in to ${url}\n`);
    expect(existsSync(join(home, '.config', 'minicloud', 'config.json'))).toBe(true);
  });

  it('creates an app from a repository and deploys it with git push over HTTPS', async () => {
    const repo = fixtureRepo('node-hello');
    const cli = join(prefix, 'bin', 'minicloud');
    const created = await runWithHosts(hosts, cli, ['apps:create', 'laptop'], { cwd: repo, env: laptopEnv() });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Git remote minicloud added: ${url}/git/laptop.git`);
    // git calls the installed CLI back for the token.
    expect(git(repo, 'config', '--get-all', `credential.${url}.helper`)).toContain(join(prefix, 'lib', 'node_modules', 'minicloud-cli', 'minicloud.mjs'));
    const pushed = await runWithHosts(hosts, 'git', ['push', 'minicloud', 'main'], { cwd: repo, env: laptopEnv() });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain(`v1 is live at http://laptop.${DOMAIN}:${mc.httpPort}`);
    const answer = await get(mc.httpPort, `laptop.${DOMAIN}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ version: 'v1' });
  });

  it('opens a console on the app through the router over HTTPS (the bundle carries its websocket client)', async () => {
    // -t: a console without a terminal here; the piped lines are typed into it, as at a keyboard.
    const r = await runWithHosts(hosts, join(prefix, 'bin', 'minicloud'), ['run', '-t', 'laptop', 'bash'], { env: laptopEnv(), input: 'echo "via-$((6*7))-$PORT"; exit 5\n' });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/via-42-\d+/);
  });
});
