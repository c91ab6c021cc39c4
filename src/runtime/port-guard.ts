// Firewall fences around a host process's port: the router and the app itself reach it; other apps and other hosts do not.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Two rules per port, for IPv4 and IPv6 (Node listens on `::` by default):
 * - OUTPUT on loopback from any app user (the uid range) but the owner: reset. Root (the router) passes.
 * - INPUT from anywhere but loopback: reset, so an app that ignores HOST is still behind the router.
 * Each rule carries the comment `minicloud-port-<port>`, which is how stale ones are found and removed.
 */
export class PortGuard {
  constructor(private readonly uidRange: [number, number]) {}

  async open(port: number, uid: number): Promise<void> {
    await this.close(port); // one left by an instance that died while minicloud was down
    const tag = ['-m', 'comment', '--comment', `minicloud-port-${port}`];
    const tcp = ['-p', 'tcp', '--dport', String(port)];
    const reject = ['-j', 'REJECT', '--reject-with', 'tcp-reset'];
    const [min, max] = this.uidRange;
    for (const tool of ['iptables', 'ip6tables']) {
      await exec(tool, ['-w', '-I', 'OUTPUT', '-o', 'lo', ...tcp, '-m', 'owner', '--uid-owner', `${min}-${max}`, '-m', 'owner', '!', '--uid-owner', String(uid), ...tag, ...reject]);
      await exec(tool, ['-w', '-I', 'INPUT', '!', '-i', 'lo', ...tcp, ...tag, ...reject]);
    }
  }

  async close(port: number): Promise<void> {
    const tag = `--comment minicloud-port-${port} `;
    for (const tool of ['iptables', 'ip6tables']) {
      for (const chain of ['OUTPUT', 'INPUT']) {
        const { stdout } = await exec(tool, ['-w', '-S', chain]);
        for (const rule of stdout.split('\n').filter((l) => l.includes(tag))) {
          await exec(tool, ['-w', '-D', ...rule.split(' ').slice(1)]).catch(() => { /* removed meanwhile */ });
        }
      }
    }
  }
}
