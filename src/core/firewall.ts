// Firewall rules minicloud adds (iptables), each tagged with a comment so it can be found again and removed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Whether this process can fence a Docker bridge: root, with the bridge on this machine (not a remote engine). */
export function canFence(bridge: string): boolean {
  return process.getuid?.() === 0 && existsSync(`/sys/class/net/${bridge}`);
}

/** Inserts `match` → `target` at the top of `chain` unless it is there already; `tag` becomes its comment. */
export async function ensureRule(chain: string, match: string[], target: string[], tag: string, tool = 'iptables'): Promise<void> {
  const spec = [...match, '-m', 'comment', '--comment', tag, ...target];
  const present = await exec(tool, ['-w', '-C', chain, ...spec]).then(() => true, () => false);
  if (!present) await exec(tool, ['-w', '-I', chain, ...spec]);
}

/** Removes every rule of `chain` carrying comment `tag`. */
export async function removeTagged(chain: string, tag: string, tool = 'iptables'): Promise<void> {
  const { stdout } = await exec(tool, ['-w', '-S', chain]);
  for (const line of stdout.split('\n').filter((l) => l.includes(`--comment ${tag} `) || l.endsWith(`--comment ${tag}`))) {
    await exec(tool, ['-w', '-D', ...line.split(' ').slice(1)]).catch(() => { /* gone meanwhile */ });
  }
}
