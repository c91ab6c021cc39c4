// Firewall fences around a host process's port: the router and the app itself reach it; other apps and other hosts do not.
import { spawn } from 'node:child_process';

const TOOLS = [['iptables', 'iptables-restore'], ['ip6tables', 'ip6tables-restore']] as const;

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
    if (input !== undefined) c.stdin!.on('error', () => { /* its exit code tells */ }).end(input);
  });
}

/**
 * Two rules per port, for IPv4 and IPv6 (Node listens on `::` by default):
 * - OUTPUT on loopback from any app user (the uid range) but the owner: reset. Root (the router) passes.
 * - INPUT from anywhere but loopback: reset, so an app that ignores HOST is still behind the router.
 * Each rule carries the comment `minicloud-port-<port>`, which is how stale ones are found and removed.
 * One listing and one `iptables-restore --noflush` per address family: a start costs four commands, not twelve.
 */
export class PortGuard {
  constructor(private readonly uidRange: [number, number]) {}

  async open(port: number, uid: number): Promise<void> {
    const tag = `minicloud-port-${port}`;
    const tcp = `-p tcp -m tcp --dport ${port}`;
    const reject = `-m comment --comment ${tag} -j REJECT --reject-with tcp-reset`;
    const [min, max] = this.uidRange;
    const add = [
      `-I OUTPUT -o lo ${tcp} -m owner --uid-owner ${min}-${max} -m owner ! --uid-owner ${uid} ${reject}`,
      `-I INPUT ! -i lo ${tcp} ${reject}`,
    ];
    // Rules left by an instance that died while minicloud was down go in the same batch.
    await Promise.all(TOOLS.map(async ([tool, restore]) => apply(tool, restore, await stale(tool, tag), add)));
  }

  async close(port: number): Promise<void> {
    const tag = `minicloud-port-${port}`;
    await Promise.all(TOOLS.map(async ([tool, restore]) => apply(tool, restore, await stale(tool, tag), [])));
  }
}

/**
 * Deletions and insertions in one batch. A deletion can lose a race (an instance's exit and its stop both
 * close its port): then each is tried alone, a missing rule being no error, and the insertions go after.
 */
async function apply(tool: string, restore: string, deletes: string[], inserts: string[]): Promise<void> {
  const batch = (lines: string[]) => run(restore, ['-w', '--noflush'], `*filter\n${lines.join('\n')}\nCOMMIT\n`);
  if (!deletes.length && !inserts.length) return;
  try {
    await batch([...deletes, ...inserts]);
  } catch (e) {
    if (!deletes.length) throw e;
    for (const d of deletes) await run(tool, ['-w', ...d.split(' ')]).catch(() => { /* removed meanwhile */ });
    if (inserts.length) await batch(inserts);
  }
}

/** Deletions of the INPUT and OUTPUT rules tagged `tag`, as iptables-restore lines. */
async function stale(tool: string, tag: string): Promise<string[]> {
  const rules = (await run(tool, ['-w', '-S'])).split('\n');
  return rules.filter((l) => /^-A (INPUT|OUTPUT) /.test(l) && (l.includes(`--comment ${tag} `) || l.endsWith(`--comment ${tag}`)))
    .map((l) => `-D${l.slice(2)}`);
}
