// Test helper: the real CLI in a pseudo-terminal of its own (node-pty), as a person at a terminal runs it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn as spawnPty, type IPty } from 'node-pty';
import type { Minicloud } from './minicloud.ts';
import { waitFor } from './proc.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliInPty {
  pty: IPty;
  /** Everything it printed so far. */
  output: () => string;
  /** Waits for a pattern in its output (60 s by default). */
  until: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number>;
}

/** `minicloud <args>` in a 100×30 terminal, against `mc`, with `token`. */
export function cliInPty(mc: Minicloud, args: string[], token = mc.token): CliInPty {
  const pty = spawnPty(process.execPath, [join(ROOT, 'scripts/minicloud.mjs'), ...args], {
    cols: 100, rows: 30, cwd: mc.dataDir, name: 'xterm',
    env: { ...process.env, MINICLOUD_URL: mc.apiUrl, MINICLOUD_TOKEN: token, XDG_CONFIG_HOME: mc.dataDir } as Record<string, string>,
  });
  let out = '';
  pty.onData((d) => { out += d; });
  const exited = new Promise<number>((r) => pty.onExit(({ exitCode }) => r(exitCode)));
  const until = async (re: RegExp, ms = 60_000) => {
    await waitFor(() => re.test(out), ms, `${re} in the console's output:\n${out}`);
    return out.match(re)!;
  };
  return { pty, output: () => out, until, exited };
}
