// Firewall fences around a host process's port: the router and the app itself reach it; other users and other hosts do not.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/** Every user but root (minicloud and its router): other apps, and any other local account. */
const NOT_ROOT = '1-4294967294';

/**
 * Two rules per port, for IPv4 and IPv6 (Node listens on `::` by default):
 * - OUTPUT on loopback from any user but root (the router) and the owner: reset.
 * - INPUT from anywhere but loopback: reset, so an app that ignores HOST is still behind the router.
 * Each rule carries the comment `minicloud-port-<port>-<instance>`: `instance` names this minicloud (its data
 * dir), so a start sweeps the rules its killed predecessor left and never those of another minicloud beside it.
 * One listing and one `iptables-restore --noflush` per address family: a start costs four commands, not twelve.
 */
export class PortGuard {
  readonly instance: string;

  /** `dataDir`: this minicloud's data dir, which names its rules. */
  constructor(dataDir: string) {
    this.instance = createHash('sha256').update(dataDir).digest('hex').slice(0, 10);
  }

  tag(port: number): string {
    return `minicloud-port-${port}-${this.instance}`;
  }

  async open(port: number, uid: number): Promise<void> {
    const tcp = `-p tcp -m tcp --dport ${port}`;
    const reject = `-m comment --comment ${this.tag(port)} -j REJECT --reject-with tcp-reset`;
    const add = [
      `-I OUTPUT -o lo ${tcp} -m owner --uid-owner ${NOT_ROOT} -m owner ! --uid-owner ${uid} ${reject}`,
      `-I INPUT ! -i lo ${tcp} ${reject}`,
    ];
    // Rules of this port left by an instance that died unseen (any minicloud's: the port was free) go in the same batch.
    await Promise.all(TOOLS.map(async ([tool, restore]) => apply(tool, restore, await stale(tool, (t) => onPort(t, port)), add)));
  }

  async close(port: number): Promise<void> {
    // Also the rules of an instance started before rules named their minicloud (`minicloud-port-<port>`).
    const mine = (t: string) => t === this.tag(port) || t === `minicloud-port-${port}`;
    await Promise.all(TOOLS.map(async ([tool, restore]) => apply(tool, restore, await stale(tool, mine), [])));
  }

  /**
   * At start, before any instance starts: removes this minicloud's rules whose port no longer has a listener
   * of the user the rule names (the app died while minicloud was down, e.g. after a kill -9). Rules of
   * instances that outlived minicloud stay: it adopts them. `keep`: ports of instances known to be alive,
   * kept even before they listen.
   */
  async sweep(keep: Iterable<number> = []): Promise<number> {
    const listening = listeners();
    for (const port of keep) listening.add(`${port}:*`);
    const suffix = `-${this.instance}`;
    let n = 0;
    await Promise.all(TOOLS.map(async ([tool, restore]) => {
      const rules = await listRules(tool);
      const owners = new Map<string, number>(); // tag → the uid its OUTPUT rule lets through
      for (const r of rules) {
        const uid = r.line.split(' ! --uid-owner ')[1]?.split(' ')[0];
        if (uid && r.tag.endsWith(suffix)) owners.set(r.tag, Number(uid));
      }
      const alive = (tag: string) => listening.has(`${portOf(tag)}:${owners.get(tag) ?? -1}`) || listening.has(`${portOf(tag)}:*`);
      const dead = rules.filter((r) => r.tag.endsWith(suffix) && !alive(r.tag));
      n += dead.length;
      await apply(tool, restore, dead.map((r) => `-D${r.line.slice(2)}`), []);
    }));
    return n;
  }
}

const portOf = (tag: string) => Number(tag.split('-')[2]);
/** Whether `tag` is a port rule of `port`: this format or the one before instances were named. */
const onPort = (tag: string, port: number) => tag === `minicloud-port-${port}` || tag.startsWith(`minicloud-port-${port}-`);

/** `<port>:<uid>` of every listening TCP socket (IPv4 and IPv6). */
function listeners(): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; } // no IPv6
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue; // LISTEN
      out.add(`${parseInt(f[1]!.split(':')[1]!, 16)}:${f[7]}`);
    }
  }
  return out;
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

/** minicloud's port rules in INPUT and OUTPUT, with their tags. */
async function listRules(tool: string): Promise<Array<{ line: string; tag: string }>> {
  return (await run(tool, ['-w', '-S'])).split('\n').flatMap((line) => {
    if (!line.startsWith('-A INPUT ') && !line.startsWith('-A OUTPUT ')) return [];
    const tag = line.split(' --comment ')[1]?.split(' ')[0] ?? '';
    return /^minicloud-port-\d+(-[0-9a-f]+)?$/.test(tag) ? [{ line, tag }] : [];
  });
}

/** Deletions of the rules whose tag `wanted` picks, as iptables-restore lines. */
async function stale(tool: string, wanted: (tag: string) => boolean): Promise<string[]> {
  return (await listRules(tool)).filter((r) => wanted(r.tag)).map((r) => `-D${r.line.slice(2)}`);
}
