// Container usage from cgroup files: parsing, v1 (cgroupfs, as the private dockerd) and v2 (systemd) layouts as fixtures.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { containerId, containerUsage, instanceUsage, parseCgroupFile, parseKeyed, parseMountinfo } from '../../src/metrics/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cgroup/', import.meta.url));
const ID = '7fa12efd8d956d53d009ccbfaefee998b05105b23dad2767785fd6f7eab5e313';
const layout = (name: string) => ({ procDir: join(FIXTURES, name, 'proc'), fsRoot: join(FIXTURES, name) });

describe('parsing', () => {
  it('reads /proc/<pid>/cgroup lines, v1 controllers and the v2 line', () => {
    expect(parseCgroupFile(`4:memory:/docker/${ID}\n1:cpu,cpuacct:/docker/${ID}\n9:name=systemd:/x\n0::/docker/${ID}\n`)).toEqual([
      { controllers: ['memory'], path: `/docker/${ID}` },
      { controllers: ['cpu', 'cpuacct'], path: `/docker/${ID}` },
      { controllers: ['name=systemd'], path: '/x' },
      { controllers: [], path: `/docker/${ID}` },
    ]);
  });

  it('finds the cgroup mounts in mountinfo, with their roots, controllers and escaped paths', () => {
    const text = [
      '23 1 0:21 / / rw,relatime - overlay overlay rw',
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
      '84 83 0:32 /docker/abc /sys/fs/cgroup/my\\040memory ro,nosuid shared:5 master:2 - cgroup cgroup rw,memory',
      '30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { version: 1, controllers: ['cpu', 'cpuacct'], root: '/', mountPoint: '/sys/fs/cgroup/cpu,cpuacct' },
      { version: 1, controllers: [], root: '/', mountPoint: '/sys/fs/cgroup/systemd' },
      { version: 1, controllers: ['memory'], root: '/docker/abc', mountPoint: '/sys/fs/cgroup/my memory' },
      { version: 2, controllers: [], root: '/', mountPoint: '/sys/fs/cgroup' },
    ]);
  });

  it('recognises container scopes of docker (cgroupfs and systemd), containerd and podman, and nothing else', () => {
    expect(containerId(`/docker/${ID}`)).toBe(ID);
    expect(containerId(`/system.slice/docker-${ID}.scope`)).toBe(ID);
    expect(containerId(`/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${ID}.scope`)).toBe(ID);
    expect(containerId(`/machine.slice/libpod-${ID}.scope/container`)).toBe(ID);
    expect(containerId(`/kubepods/besteffort/pod1234/${ID}`)).toBe(ID);
    expect(containerId('/')).toBeNull();
    expect(containerId('/user.slice/user-1000.slice/session-2.scope')).toBeNull();
    expect(containerId(`/docker/${ID}x`)).toBeNull();
  });

  it('reads keyed stat files', () => {
    expect(parseKeyed('usage_usec 12\nuser_usec 10\nsome junk\n\n')).toEqual(new Map([['usage_usec', 12], ['user_usec', 10]]));
  });
});

describe('containerUsage', () => {
  it('cgroup v1 (cgroupfs): memory.usage_in_bytes less total_inactive_file, cpuacct.usage in ns', () => {
    expect(containerUsage(4242, layout('v1-cgroupfs'))).toEqual({ rssBytes: 85454848 - 2097152, cpuSeconds: 152.823764 });
  });

  it('cgroup v2 (systemd scope): memory.current less inactive_file, cpu.stat usage_usec', () => {
    expect(containerUsage(4242, layout('v2-systemd'))).toEqual({ rssBytes: 104857600 - 4194304, cpuSeconds: 2.5 });
  });

  it('is null for a host process, a gone pid, and a container whose cgroup files are not there', () => {
    expect(containerUsage(777, layout('v1-cgroupfs'))).toBeNull();
    expect(containerUsage(99999, layout('v1-cgroupfs'))).toBeNull();
    expect(containerUsage(4242, { procDir: join(FIXTURES, 'v1-cgroupfs', 'proc'), fsRoot: '/nonexistent' })).toBeNull();
  });

  it('is null when the cgroup is minicloud\u2019s own (minicloud in a container, its apps host processes)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-cgroup-'));
    try {
      cpSync(join(FIXTURES, 'v1-cgroupfs'), dir, { recursive: true });
      writeFileSync(join(dir, 'proc/self/cgroup'), readFileSync(join(dir, 'proc/4242/cgroup')));
      expect(containerUsage(4242, { procDir: join(dir, 'proc'), fsRoot: dir })).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps a cgroup path through a mount whose root is not the hierarchy root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-cgroup-'));
    try {
      cpSync(join(FIXTURES, 'v2-systemd'), dir, { recursive: true });
      writeFileSync(join(dir, 'proc/self/mountinfo'), '30 22 0:26 /system.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
      rmSync(join(dir, 'sys/fs/cgroup'), { recursive: true });
      cpSync(join(FIXTURES, 'v2-systemd/sys/fs/cgroup/system.slice'), join(dir, 'sys/fs/cgroup'), { recursive: true });
      expect(containerUsage(4242, { procDir: join(dir, 'proc'), fsRoot: dir })).toEqual({ rssBytes: 104857600 - 4194304, cpuSeconds: 2.5 });
      writeFileSync(join(dir, 'proc/self/mountinfo'), '30 22 0:26 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
      expect(containerUsage(4242, { procDir: join(dir, 'proc'), fsRoot: dir })).toBeNull(); // outside the mounted part
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('instanceUsage', () => {
  it('takes the container\u2019s cgroup for a container init, the process group for a host process', () => {
    expect(instanceUsage(4242, layout('v1-cgroupfs'))).toEqual({ rssBytes: 85454848 - 2097152, cpuSeconds: 152.823764 });
    expect(instanceUsage(777, layout('v1-cgroupfs'))).toEqual({ rssBytes: 40960 * 1024, cpuSeconds: 3 });
    expect(instanceUsage(99999, layout('v1-cgroupfs'))).toBeNull();
  });
});
