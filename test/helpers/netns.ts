// Test helper: a bare network namespace joined to the host by a veth pair: "another machine" whose packets reach
// the host on an interface that is not loopback. Needs root and iproute2; down() removes both ends.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Netns {
  name: string;
  /** The host's address on the pair, as the namespace reaches it. */
  hostIp: string;
  /** The namespace's own address, as the host reaches it. */
  ip: string;
  /** argv prefix running a command inside the namespace. */
  exec: string[];
  down(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });

export function startNetns(): Netns {
  const id = randomBytes(3).toString('hex');
  const name = `mcn-${id}`;
  const sub = 1 + (parseInt(id.slice(0, 2), 16) % 250);
  const octet = (parseInt(id.slice(2), 16) % 64) * 4; // a /30 in 10.215.<sub>.0/24, unlikely to be in use twice
  const [hostIp, nsIp] = [`10.215.${sub}.${octet + 1}`, `10.215.${sub}.${octet + 2}`];
  const down = () => {
    try { ip('link', 'del', `${name}-h`); } catch { /* never made */ }
    try { ip('netns', 'del', name); } catch { /* never made */ }
  };
  try {
    ip('netns', 'add', name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    ip('link', 'add', `${name}-h`, 'type', 'veth', 'peer', 'name', `${name}-n`);
    ip('link', 'set', `${name}-n`, 'netns', name);
    ip('addr', 'add', `${hostIp}/30`, 'dev', `${name}-h`);
    ip('link', 'set', `${name}-h`, 'up');
    ip('-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', `${name}-n`);
    ip('-n', name, 'link', 'set', `${name}-n`, 'up');
  } catch (e) {
    down();
    throw e;
  }
  return { name, hostIp, ip: nsIp, exec: ['ip', 'netns', 'exec', name], down };
}
