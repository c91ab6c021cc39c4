// runtime: the container spec an instance becomes, as plain data.
import { expect, it } from 'vitest';
import { containerSpec, volumeMounts } from '../../src/runtime/index.ts';
import type { InstanceSpec } from '../../src/runtime/index.ts';

const spec = (over: Partial<InstanceSpec> = {}): InstanceSpec => ({
  id: '0123456789abcdef', app: 'shop', release: 3, type: 'web', command: 'node server.js',
  artifact: { kind: 'image', image: 'minicloud/shop:v3', buildpack: 'node', processes: { web: 'node server.js' } },
  env: { DATABASE_URL: 'mysql://u:p@h/db' }, ...over,
});

it('runs the command through a shell with init, env, PORT, labels, memory and the network', () => {
  const c = containerSpec(spec(), 'mc-shop-web-01234567', [{ hostDir: '/v/shop/data', target: '/app/data' }], { network: 'minicloud', defaultMemoryMb: 512 });
  expect(c.Entrypoint).toEqual(['/bin/sh', '-c']);
  expect(c.Cmd).toEqual(['exec node server.js']);
  expect(c.Env).toEqual(expect.arrayContaining(['DATABASE_URL=mysql://u:p@h/db', 'PORT=5000', 'DYNO=web.01234567']));
  expect(c.Labels).toEqual({ 'minicloud.app': 'shop', 'minicloud.release': '3', 'minicloud.type': 'web', 'minicloud.instance': '0123456789abcdef', 'minicloud.process': 'web.01234567' });
  expect(c.HostConfig).toMatchObject({ Init: true, Memory: 512 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, NetworkMode: 'minicloud', Binds: ['/v/shop/data:/app/data'] });
  expect(c.HostConfig?.PortBindings).toBeUndefined();
});

it('takes the app\'s own memory limit and the manifest\'s port, and publishes on loopback when asked', () => {
  const s = spec({ memoryMb: 128, artifact: { kind: 'image', image: 'x', buildpack: 'image', processes: {}, manifest: { expose: { proto: 'http', port: 8000 } } } });
  const c = containerSpec(s, 'n', [], { network: 'n', defaultMemoryMb: 512, publish: true });
  expect(c.HostConfig?.Memory).toBe(128 * 1024 * 1024);
  expect(c.Env).toContain('PORT=8000');
  expect(c.HostConfig?.PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
});

it('runs with least privilege: no capabilities, no setuid gains, a process and CPU cap', () => {
  const c = containerSpec(spec(), 'n', [], { network: 'n', defaultMemoryMb: 512, defaultCpu: 1, defaultPids: 512 });
  expect(c.HostConfig).toMatchObject({ CapDrop: ['ALL'], CapAdd: [], SecurityOpt: ['no-new-privileges'], PidsLimit: 512, NanoCpus: 1e9 });
  const own = containerSpec(spec({ cpu: 0.5, pids: 64 }), 'n', [], { network: 'n', defaultMemoryMb: 512, defaultCpu: 1, defaultPids: 512 });
  expect(own.HostConfig).toMatchObject({ PidsLimit: 64, NanoCpus: 5e8 });
  // A manifest asking for port 80 may bind it, and nothing more.
  const low = containerSpec(spec({ artifact: { kind: 'image', image: 'x', buildpack: 'image', processes: {}, manifest: { expose: { proto: 'http', port: 80 } } } }), 'n', [], { network: 'n', defaultMemoryMb: 512 });
  expect(low.HostConfig?.CapAdd).toEqual(['NET_BIND_SERVICE']);
});

it('mounts a volume at ./<path> of the working directory and at <path> itself, never over the system or the code', () => {
  const vol = (path: string) => ({ path, hostDir: `/v/shop${path}` });
  expect(volumeMounts({ volumes: [vol('/data')] }, '/app')).toEqual({
    mounts: [{ hostDir: '/v/shop/data', target: '/app/data' }, { hostDir: '/v/shop/data', target: '/data' }], storageDir: '/data',
  });
  // A working directory of / has one place for it.
  expect(volumeMounts({ volumes: [vol('/data')] }, '/')).toEqual({ mounts: [{ hostDir: '/v/shop/data', target: '/data' }], storageDir: '/data' });
  // /usr/... and /etc/... stay the image's, and /var itself; /app would hide the code.
  expect(volumeMounts({ volumes: [vol('/var/lib/registry')] }, '/app').mounts.map((m) => m.target)).toEqual(['/app/var/lib/registry', '/var/lib/registry']);
  for (const p of ['/usr/share/x', '/etc/app', '/var', '/tmp', '/app']) {
    expect(volumeMounts({ volumes: [vol(p)] }, '/app').mounts, p).toEqual([{ hostDir: `/v/shop${p}`, target: `/app${p}` }]);
  }
  // STORAGE_DIR: /data when the app has it, else its first volume; none without volumes.
  expect(volumeMounts({ volumes: [vol('/uploads'), vol('/data')] }, '/app').storageDir).toBe('/data');
  expect(volumeMounts({ volumes: [vol('/usr/files')] }, '/app').storageDir).toBe('/app/usr/files');
  expect(volumeMounts({}, '/app')).toEqual({ mounts: [] });
});

it('mounts a path the image declares a VOLUME there only, even its working directory or under /etc', () => {
  const vol = (path: string) => ({ path, hostDir: `/v/wp${path}` });
  // WordPress and Nextcloud: VOLUME /var/www/html, their working directory too.
  expect(volumeMounts({ volumes: [vol('/var/www/html')] }, '/var/www/html', ['/var/www/html'])).toEqual({
    mounts: [{ hostDir: '/v/wp/var/www/html', target: '/var/www/html' }], storageDir: '/var/www/html',
  });
  // Gitea (rootless): VOLUME ["/var/lib/gitea", "/etc/gitea"], the first its working directory.
  expect(volumeMounts({ volumes: [vol('/var/lib/gitea'), vol('/etc/gitea')] }, '/var/lib/gitea', ['/var/lib/gitea', '/etc/gitea']).mounts.map((m) => m.target))
    .toEqual(['/var/lib/gitea', '/etc/gitea']);
  // Undeclared paths keep the rules above.
  expect(volumeMounts({ volumes: [vol('/etc/app')] }, '/app', ['/data']).mounts.map((m) => m.target)).toEqual(['/app/etc/app']);
});

it('runs as the release\'s own user when it has one (a catalog entry\'s), else as the image says', () => {
  const own = containerSpec(spec({ artifact: { kind: 'image', image: 'x', buildpack: 'image', processes: {}, user: { uid: 33, gid: 33 } } }), 'n', [], { network: 'n', defaultMemoryMb: 512 });
  expect(own.User).toBe('33:33');
  expect(containerSpec(spec(), 'n', [], { network: 'n', defaultMemoryMb: 512 }).User).toBeUndefined();
});
