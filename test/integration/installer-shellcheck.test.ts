// The server installer (scripts/install.sh) passes shellcheck (an apt package, hence not a unit test).
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/install.sh', import.meta.url).pathname;

it('passes shellcheck', () => {
  const r = spawnSync('shellcheck', ['--shell=sh', SCRIPT], { encoding: 'utf8' });
  expect(r.error, 'shellcheck is not installed (apt-get install shellcheck)').toBeUndefined();
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
