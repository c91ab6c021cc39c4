// vitest's globalSetup (integration project): makes minicloud's build (dist/) fresh once per run, so every test starts
// what `npm start` runs, compiled JavaScript under plain node, without each start checking or building it again.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
