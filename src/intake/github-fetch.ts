// Fetching exactly the pushed commit from a repository's clone URL, into a tar archive for the build.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../core/index.ts';

const run = promisify(execFile);

/** https URLs (GitHub), or a local path / file:// URL (a mirror, or a test's stand-in for GitHub). */
export function checkCloneUrl(url: string): void {
  if (/^https:\/\/[^\s@/]+\/[^\s]+$/.test(url) || /^(file:\/\/)?\/[^\s]+$/.test(url)) return;
  throw new UserError(`cannot fetch from ${JSON.stringify(url)}`, 'only https:// clone URLs (or local paths) are fetched');
}

function withToken(url: string, token: string | null): string {
  if (!token || !url.startsWith('https://')) return url;
  const u = new URL(url);
  u.username = 'x-access-token';
  u.password = token;
  return u.href;
}

export async function fetchCommit(o: {
  cacheDir: string; app: string; url: string; sha: string; token: string | null; tarFile: string; say: (line: string) => void;
}): Promise<void> {
  checkCloneUrl(o.url);
  const repo = join(o.cacheDir, `${o.app}.git`);
  const hide = (text: string) => (o.token ? text.replaceAll(o.token, '***') : text);
  const git = async (...args: string[]) => {
    try {
      await run('git', args, { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      for (const line of hide(err.stderr ?? err.message).trim().split('\n')) o.say(`       ${line}`);
      throw new UserError(`could not fetch ${o.sha.slice(0, 7)} from ${hide(o.url)}`, 'check the repository URL and, for a private repository, the token given to `minicloud apps:connect`');
    }
  };
  if (!existsSync(repo)) {
    mkdirSync(o.cacheDir, { recursive: true });
    await git('init', '--quiet', '--bare', repo);
  }
  o.say(`-----> Fetching ${o.sha.slice(0, 7)} from ${hide(o.url)}`);
  // By commit id, as GitHub allows: a later push to the branch cannot slip in.
  await git('-C', repo, 'fetch', '--quiet', '--no-tags', '--depth=1', withToken(o.url, o.token), o.sha);
  await git('-C', repo, 'archive', '--format=tar', '-o', o.tarFile, o.sha);
}
