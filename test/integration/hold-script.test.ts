// The script a parked container's shell runs (Docker wake): it holds the command back until SIGUSR1, then execs it in
// its own process; without `sleep` it exits instead of spinning. Run with the host's /bin/sh (dash, as in Debian images).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HOLD_SCRIPT } from '../../src/runtime/parked-containers.ts';

function held(command: string, env: NodeJS.ProcessEnv = process.env) {
  const c = spawn('/bin/sh', ['-c', HOLD_SCRIPT, 'sh', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
  return { c, out: () => out, exited };
}

describe('HOLD_SCRIPT', () => {
  it('runs nothing until SIGUSR1, then execs the command in the same process (with shell syntax as `sh -c` takes it)', async () => {
    const h = held('echo "pid $$ says $GREETING"');
    await new Promise((r) => setTimeout(r, 400));
    expect(h.out()).toBe('');
    expect(h.c.exitCode).toBeNull();
    const t = performance.now();
    h.c.kill('SIGUSR1');
    expect(await h.exited).toBe(0);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(h.out()).toBe(`pid ${h.c.pid} says \n`);
  });

  it('exits 1 at once, not spinning, where there is no sleep command', async () => {
    const h = held('true', { PATH: '/nonexistent' });
    expect(await h.exited).toBe(1);
  });
});
