// Confinement without a real hierarchy: cgroup v2's files written into a temp dir laid out as the kernel's, the
// process-group fallback on real processes, and the hang judge's arithmetic.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupV2, ProcessGroup, chooseConfinement, killGroup, processStart } from '../../src/core/index.ts';
import { BUSY_WINDOW_MS, HangJudge } from '../../src/health/index.ts';
import { until } from '../helpers/net.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-confine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = (f: string) => readFileSync(f, 'utf8');

describe('cgroup v2 (a temp dir standing in for /sys/fs/cgroup/<minicloud.service>)', () => {
  const own = join(tmp, 'v2', 'system.slice', 'minicloud.service');
  mkdirSync(own, { recursive: true });
  writeFileSync(join(own, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(own, 'cgroup.subtree_control'), '');

  it('enables memory, pids and cpu for its groups and writes each limit in the kernel\'s format', () => {
    const v2 = new CgroupV2(own, join(own, 'minicloud-abc'));
    expect(text(join(own, 'cgroup.subtree_control'))).toBe('+memory +pids +cpu');
    expect(text(join(own, 'minicloud-abc', 'cgroup.subtree_control'))).toBe('+memory +pids +cpu');
    const g = v2.create('shop.web.1234', { memoryMb: 256, cpu: 0.5, pids: 100 });
    const dir = join(own, 'minicloud-abc', 'shop.web.1234');
    expect(text(join(dir, 'memory.max'))).toBe(String(256 * 1024 * 1024));
    expect(text(join(dir, 'pids.max'))).toBe('100');
    expect(text(join(dir, 'cpu.max'))).toBe('50000 100000');
    expect(v2.names()).toEqual(['shop.web.1234']);
    expect(v2.summary).toMatch(/^cgroup v2 .*memory, CPU and process limits enforced/);
    g.place(4242);
    expect(text(join(dir, 'cgroup.procs'))).toBe('4242');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n');
    expect(g.oomKills()).toBe(1);
  });

  it('ends a group through cgroup.kill when the kernel has it, and refuses a name with a path in it', () => {
    const v2 = new CgroupV2(own, join(own, 'minicloud-abc'));
    const g = v2.create('shop.run.1', {});
    const dir = join(own, 'minicloud-abc', 'shop.run.1');
    writeFileSync(join(dir, 'cgroup.kill'), '');
    writeFileSync(join(dir, 'cgroup.procs'), `${process.pid}\n`); // listed, so there is something to kill
    expect(g.signal('SIGKILL')).toBe(1);
    expect(text(join(dir, 'cgroup.kill'))).toBe('1');
    expect(() => v2.create('../escape', {})).toThrow(/invalid cgroup name/);
  });

  it("writes a low CPU weight (a preview's build) as cpu.weight, bounded to the kernel's 1-10000", () => {
    const v2 = new CgroupV2(own, join(own, 'minicloud-abc'));
    v2.create('shop-pr-1.build.1', { weight: 10 });
    expect(text(join(own, 'minicloud-abc', 'shop-pr-1.build.1', 'cpu.weight'))).toBe('10');
    v2.create('shop-pr-1.build.2', { weight: 0.2 });
    expect(text(join(own, 'minicloud-abc', 'shop-pr-1.build.2', 'cpu.weight'))).toBe('1');
  });

  it('refuses a cgroup whose parent gives no memory or pids controller', () => {
    const bare = join(tmp, 'v2', 'bare');
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, 'cgroup.controllers'), 'cpu io\n');
    expect(() => new CgroupV2(bare, join(bare, 'minicloud-x'))).toThrow(/no memory and pids controllers/);
    expect(existsSync(join(bare, 'minicloud-x'))).toBe(false);
  });
});

describe('choosing the mechanism', () => {
  it('falls back to process groups and says why: turned off, or no hierarchy with memory and pids mounted', () => {
    const off = chooseConfinement({ namespace: 'minicloud-t', mode: 'off' });
    expect([off.kind, off.enforcesLimits]).toEqual(['process groups', false]);
    expect(off.summary).toMatch(/MINICLOUD_CGROUPS=off.*memory and CPU limits are not enforced/);
    const proc = join(tmp, 'proc-none');
    mkdirSync(join(proc, 'self'), { recursive: true });
    writeFileSync(join(proc, 'self', 'mountinfo'), '22 1 0:21 / / rw - ext4 /dev/sda1 rw\n');
    writeFileSync(join(proc, 'self', 'cgroup'), '0::/\n');
    expect(chooseConfinement({ namespace: 'minicloud-t', procDir: proc }).summary).toMatch(/no cgroup hierarchy with the memory and pids controllers is mounted/);
  });
});

describe('process groups (no cgroups)', () => {
  it('kills what is left of a group whose leader is gone (npm killed, its server still listening)', async () => {
    // The leader starts a child that ignores SIGTERM and outlives it, as `node server.js` outlived `npm start`.
    const leader = spawn('/bin/sh', ['-c', 'sh -c "trap \'\' TERM; sleep 300" & echo $!; sleep 300'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const child = Number(await new Promise<string>((r) => leader.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
    const g = new ProcessGroup(leader.pid!, processStart(leader.pid!));
    process.kill(leader.pid!, 'SIGKILL');
    await new Promise((r) => leader.once('exit', r));
    expect(g.pids()).toContain(child);
    expect(await killGroup(g)).toBe(true);
    await until('the orphaned child to be gone', async () => (processStart(child) === null ? true : undefined));
  });

  it('is not ours once the leader\'s pid belongs to a later process', () => {
    expect(new ProcessGroup(process.pid, 'not-its-start-time').pids()).toEqual([]);
  });
});

describe('the hang judge', () => {
  const s = { intervalMs: 2000, timeoutMs: 2000, failures: 3 };
  const hung = { ok: false, timedOut: true, progressed: false } as const;
  const busy = { ok: false, timedOut: true, progressed: true } as const;

  it('restarts after 3 unanswered probes with no progress, and starts over after an answer', () => {
    const j = new HangJudge(s);
    expect([j.record(hung, 0), j.record(hung, 2000)]).toEqual([false, false]);
    expect(j.record({ ok: true }, 4000)).toBe(false);
    expect([j.record(hung, 6000), j.record(hung, 8000), j.record(hung, 10_000)]).toEqual([false, false, true]);
  });

  it('leaves a busy instance that answers late alone, until it has answered nothing for the busy window', () => {
    const j = new HangJudge(s);
    for (let t = 0; t < BUSY_WINDOW_MS; t += 2000) expect(j.record(busy, t)).toBe(false);
    expect(j.record(busy, BUSY_WINDOW_MS)).toBe(true);
  });

  it('counts refusals and error answers at once', () => {
    const j = new HangJudge(s);
    const refused = { ok: false, timedOut: false } as const;
    expect([j.record(refused, 0), j.record(busy, 2000), j.record(refused, 4000), j.record(refused, 6000)]).toEqual([false, false, false, true]);
  });
});
