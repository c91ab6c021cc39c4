// Fetching exactly the pushed commit of an app's linked GitHub repository, into a tar archive for the build.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../core/index.ts';

const run = promisify(execFile);

export const GITHUB = 'https://github.com/';
export const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

/**
 * The only URL a webhook deploy fetches from: `<base><owner>/<repo>.git`, the base being https://github.com/
 * unless the operator set MINICLOUD_GITHUB_URL_BASE (tests: a local git server). Never a payload's clone_url.
 */
export function cloneUrl(repo: string, base = GITHUB): string {
  if (!REPO.test(repo) || repo.split('/').some((p) => p === '.' || p === '..')) throw new UserError(`${JSON.stringify(repo)} is not a GitHub repository name (owner/repo)`);
  return `${base.endsWith('/') ? base : `${base}/`}${repo}.git`;
}

/**
 * git's environment: no prompt, only the base's protocol, and the token as an HTTP header scoped to the base
 * (through GIT_CONFIG_*, so it is never in any process's argv, where `ps` shows it).
 */
function gitEnv(base: string, token: string | null): NodeJS.ProcessEnv {
  const scheme = /^(https?):\/\//.exec(base)?.[1] ?? 'file';
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: scheme, GIT_CONFIG_NOSYSTEM: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_CONFIG_KEY_') || k.startsWith('GIT_CONFIG_VALUE_')) delete env[k];
  env.GIT_CONFIG_COUNT = '0';
  if (token && scheme !== 'file') {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${base}.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  }
  return env;
}

export interface FetchRequest {
  cacheDir: string; app: string; repo: string; base?: string; sha: string; token: string | null; tarFile: string; say: (line: string) => void;
}

export async function fetchCommit(o: FetchRequest): Promise<void> {
  const base = o.base ?? GITHUB;
  const url = cloneUrl(o.repo, base);
  const repo = join(o.cacheDir, `${o.app}.git`);
  const env = gitEnv(base, o.token);
  const git = async (...args: string[]) => {
    try {
      await run('git', args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      for (const line of (err.stderr ?? err.message).trim().split('\n').slice(-20)) o.say(`       ${line.slice(0, 500)}`);
      throw new UserError(`could not fetch ${o.sha.slice(0, 7)} from ${url}`, 'check the repository and, for a private repository, the token given to `minicloud apps:connect`');
    }
  };
  // A shallow cache (older minicloud) cannot answer "is this commit an ancestor of the current one?".
  if (existsSync(join(repo, 'shallow'))) rmSync(repo, { recursive: true, force: true });
  if (!existsSync(repo)) {
    mkdirSync(o.cacheDir, { recursive: true });
    await git('init', '--quiet', '--bare', repo);
  }
  o.say(`-----> Fetching ${o.sha.slice(0, 7)} from ${url}`);
  // By commit id, as GitHub allows: a later push to the branch cannot slip in. With its history, for replay checks.
  await git('-C', repo, 'fetch', '--quiet', '--no-tags', '--', url, o.sha);
  await git('-C', repo, 'archive', '--format=tar', '-o', o.tarFile, o.sha);
}

/**
 * True when `sha` is the commit `current` or one of its ancestors, as far as the app's fetch cache knows
 * (a commit never fetched is not known, so it is new): a replayed push that would take the app back.
 */
export async function isDeployedAlready(cacheDir: string, app: string, sha: string, current: string | null): Promise<boolean> {
  if (!current) return false;
  if (sha === current) return true;
  const repo = join(cacheDir, `${app}.git`);
  if (!existsSync(repo)) return false;
  try {
    await run('git', ['-C', repo, 'merge-base', '--is-ancestor', sha, current], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' }, timeout: 30_000 });
    return true;
  } catch {
    return false; // 1: not an ancestor; 128: a commit this cache has never seen
  }
}
