// The local git side of deploying: the `minicloud` remote and the credential helper that feeds git our token.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from './context.ts';
import { shellQuote } from './format.ts';

/** The file git runs as our credential helper: the checkout's launcher, or the installed CLI's own file (useLauncher). */
let launcher = fileURLToPath(new URL('../../../scripts/minicloud.mjs', import.meta.url));

/** The CLI installed from a server's /cli.tgz is one bundled file: git must call that file back. */
export function useLauncher(file: string): void {
  launcher = file;
}

function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd }, (err, stdout) => resolve({ ok: !err, out: String(stdout).trim() }));
  });
}

export async function insideWorkTree(cwd: string): Promise<boolean> {
  const r = await git(cwd, ['rev-parse', '--is-inside-work-tree']);
  return r.ok && r.out === 'true';
}

/**
 * Whether cwd is inside a checkout of minicloud itself (its package.json is named minicloud and it has the CLI's
 * sources): apps:create run there, as the README's first steps are, must not add an app's remote to it.
 */
export async function insideMinicloudCheckout(cwd: string): Promise<boolean> {
  const r = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!r.ok) return false;
  try {
    const pkg = JSON.parse(readFileSync(join(r.out, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'minicloud' && existsSync(join(r.out, 'src', 'cli', 'main.ts'));
  } catch {
    return false;
  }
}

/** The checked-out branch, or null (detached HEAD, no repository). */
export async function currentBranch(cwd: string): Promise<string | null> {
  const r = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return r.ok && r.out ? r.out : null;
}

export async function remoteUrl(cwd: string, name: string): Promise<string | null> {
  const r = await git(cwd, ['remote', 'get-url', name]);
  return r.ok ? r.out : null;
}

/**
 * apps:rename run in a checkout: each remote pointing at the old app's git URL (same server, `/git/<old>.git`) is
 * pointed at the new one, as Heroku does; the names of the remotes changed.
 */
export async function moveRemotes(cwd: string, oldUrl: string, newUrl: string): Promise<string[]> {
  if (!(await insideWorkTree(cwd))) return [];
  const names = (await git(cwd, ['remote'])).out.split('\n').filter(Boolean);
  const moved: string[] = [];
  for (const name of names) {
    if ((await remoteUrl(cwd, name)) !== oldUrl) continue;
    if ((await git(cwd, ['remote', 'set-url', name, newUrl])).ok) moved.push(name);
  }
  return moved;
}

/** Paths quoted for the shell that git runs `!` helpers with. */
export function credentialHelper(): string {
  return `!${shellQuote(process.execPath)} ${shellQuote(launcher)} git:credential`;
}

/** Points this repo's git at our helper for the server's origin only; other remotes keep their own. */
export async function configureCredentials(cwd: string, gitUrl: string): Promise<string> {
  const origin = new URL(gitUrl).origin;
  const key = `credential.${origin}`;
  // The empty value resets helpers from global config (a keychain could answer with a stale password).
  const steps = [
    ['config', '--local', '--replace-all', `${key}.helper`, ''],
    ['config', '--local', '--add', `${key}.helper`, credentialHelper()],
    ['config', '--local', `${key}.username`, 'minicloud'],
  ];
  for (const args of steps) {
    const r = await git(cwd, args);
    if (!r.ok) throw new Error(`git ${args.slice(0, 3).join(' ')} failed in ${cwd}`);
  }
  return origin;
}

/**
 * Adds (or repoints) the remote and sets up credentials. With `onlyIfMissing`, an existing remote of
 * that name is left alone, which is what apps:create wants in a repo already linked elsewhere.
 */
export async function linkRepo(ctx: Ctx, name: string, gitUrl: string, onlyIfMissing: boolean): Promise<void> {
  const cwd = ctx.io.cwd;
  const current = await remoteUrl(cwd, name);
  if (current === null) {
    const r = await git(cwd, ['remote', 'add', name, gitUrl]);
    if (!r.ok) throw new Error(`git remote add ${name} failed in ${cwd}`);
    ctx.out(`Git remote ${name} added: ${gitUrl}`);
  } else if (current === gitUrl) {
    ctx.out(`Git remote ${name} already points at ${gitUrl}`);
  } else if (onlyIfMissing) {
    ctx.out(`Git remote ${name} already exists (${current}); left unchanged`);
  } else {
    await git(cwd, ['remote', 'set-url', name, gitUrl]);
    ctx.out(`Git remote ${name} changed from ${current} to ${gitUrl}`);
  }
  const origin = await configureCredentials(cwd, gitUrl);
  ctx.out(`Git credential helper configured for ${origin} in this repo, so \`git push\` uses your minicloud token.`);
  ctx.out('(Without it git asks for a password: use your minicloud token as the password.)');
}
