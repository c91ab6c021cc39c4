// The systemd unit shipped for running minicloud without a container: valid for systemd, and every setting
// it gives is one minicloud reads.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';

const UNIT = new URL('../../scripts/minicloud.service', import.meta.url).pathname;
const text = readFileSync(UNIT, 'utf8');

describe('scripts/minicloud.service', () => {
  it('passes systemd-analyze verify where systemd is installed', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    if (r.error) return; // no systemd on this machine: nothing to verify against
    expect(r.stderr.split('\n').filter((l) => l.includes('minicloud.service'))).toEqual([]);
  });

  it('runs scripts/start.mjs on 80 and 443 with the data in /var/lib/minicloud, adopting apps across restarts', () => {
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/node scripts\/start\.mjs$/m);
    expect(text).toMatch(/^KillMode=process$/m);
    expect(text).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    const env = Object.fromEntries(/^Environment=(.*)$/m.exec(text)![1]!.split(' ').map((kv) => kv.split('=') as [string, string]));
    const cfg = loadConfig(env);
    expect(cfg.dataDir).toBe('/var/lib/minicloud');
    expect(cfg.httpPort).toBe(80);
    expect(cfg.https.port).toBe(443);
  });
});
