// Installs the npm dependencies when they are missing or older than the lockfile (fresh clone, pull).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export function ensureDeps() {
  const marker = `${root}node_modules/.package-lock.json`;
  const lock = `${root}package-lock.json`;
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // A node_modules linked from elsewhere (a worktree sharing another checkout's) is that checkout's to install:
  // npm ci here would empty the shared directory through the link.
  if (existsSync(`${root}node_modules`) && lstatSync(`${root}node_modules`).isSymbolicLink()) {
    console.log('-----> node_modules is a link to a shared install: not reinstalling it here (run npm ci where it lives)');
    return;
  }
  console.log('-----> Installing npm dependencies (npm ci)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
