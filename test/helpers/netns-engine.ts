// Test helper: a network namespace of its own (ports 80 and 443 free there) with its own dockerd, reached
// from the host over a veth pair. Needs root, iproute2 and dockerd. A throw-away: down() kills all of it by pid.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pidIn, signalIf } from './proc.ts';

export interface NetnsEngine {
  name: string;
  /** The namespace's address, as the host reaches it. */
  ip: string;
  /** unix:// socket of its dockerd. */
  dockerHost: string;
  dir: string;
  /** The docker CLI against its engine; output trimmed. */
  docker(...args: string[]): string;
  /** argv prefix running a command inside the namespace. */
  exec: string[];
  down(): Promise<void>;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });

/** `mount` commands re-creating the host's cgroup mounts: `ip netns exec` gives a fresh /sys without them. */
function cgroupMounts(): string {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '))
    .filter((f) => f[1]?.startsWith('/sys/fs/cgroup'))
    .map(([src, dst, type, opts]) => `mkdir -p ${dst} && mount -t ${type} -o ${opts} ${src} ${dst} && `).join('');
}

export async function startNetnsEngine(): Promise<NetnsEngine> {
  const id = randomBytes(3).toString('hex');
  const name = `mci-${id}`;
  const octet = 16 + (parseInt(id, 16) % 60) * 4; // a /30 in 10.214.<n>.0/24, unlikely to be in use twice
  const sub = 1 + (parseInt(id.slice(0, 2), 16) % 250);
  const [hostIp, ip] = [`10.214.${sub}.${octet + 1}`, `10.214.${sub}.${octet + 2}`];
  const dir = `/var/tmp/${name}`; // short: the socket path must fit a sockaddr_un
  mkdirSync(dir, { recursive: true });
  const exec = ['ip', 'netns', 'exec', name];
  const dockerHost = `unix://${dir}/d.sock`;
  const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 << 20 }).trim();
  const engine: NetnsEngine = { name, ip, dockerHost, dir, docker, exec, down: () => down(name, dir) };
  try {
    run('ip', ['netns', 'add', name]);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    run('ip', ['link', 'add', `${name}-h`, 'type', 'veth', 'peer', 'name', `${name}-n`]);
    run('ip', ['link', 'set', `${name}-n`, 'netns', name]);
    run('ip', ['-n', name, 'link', 'set', `${name}-n`, 'name', 'eth0']);
    run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', `${name}-h`]);
    run('ip', ['link', 'set', `${name}-h`, 'up']);
    run('ip', ['-n', name, 'addr', 'add', `${ip}/30`, 'dev', 'eth0']);
    run('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', name, 'route', 'add', 'default', 'via', hostIp]);
    writeFileSync(`${dir}/daemon.json`, JSON.stringify({ 'storage-driver': 'overlay2', 'cgroup-parent': `/${name}`, 'log-level': 'warn' }));
    // detached: a session of its own; ip netns exec and unshare exec, so this process becomes dockerd.
    const log = openSync(`${dir}/dockerd.log`, 'a');
    const launcher = spawn('ip', [...exec.slice(1), 'unshare', '-u', 'sh', '-c',
      `hostname ${name} && ${cgroupMounts()}exec dockerd --config-file ${dir}/daemon.json -H ${dockerHost} `
      + `--data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${dir}/d.pid`], { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    launcher.unref();
    for (const end = Date.now() + 60_000; ;) {
      if (spawnSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: dockerHost }, stdio: 'ignore' }).status === 0) break;
      if (Date.now() > end || launcher.exitCode !== null) {
        throw new Error(`the namespace's dockerd ${launcher.exitCode === null ? 'did not answer within 60 s' : `exited (${launcher.exitCode})`}: ${readFileSync(`${dir}/dockerd.log`, 'utf8').slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return engine;
  } catch (e) {
    await engine.down();
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills every process in the namespace (dockerd, containerd, shims, containers), then removes it and its dirs. */
async function down(name: string, dir: string): Promise<void> {
  // dockerd first, gracefully: it stops what is left and unmounts its layers (the test removed its containers).
  const dpid = pidIn(`${dir}/d.pid`);
  if (signalIf(dpid, 'SIGTERM', /dockerd/)) for (let i = 0; i < 100 && existsSync(`/proc/${dpid}`); i++) await sleep(200);
  const pids = () => spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout?.trim().split(/\s+/).filter(Boolean).map(Number) ?? [];
  // Container processes live in their own namespaces, as children of the shims that live in ours.
  const children = (pid: number) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  for (let i = 0; i < 50; i++) {
    const ours = pids();
    if (ours.length === 0) break;
    for (const pid of [...ours, ...ours.flatMap(children)]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await sleep(200);
  }
  spawnSync('ip', ['netns', 'del', name]);
  spawnSync('ip', ['link', 'del', `${name}-h`]);
  // Overlay mounts lived in dockerd's private mount namespace and went with it.
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  // Container cgroups (cgroup-parent /<name>), empty once their processes died.
  spawnSync('sh', ['-c', `find /sys/fs/cgroup/ -mindepth 1 -maxdepth 3 -type d -name '${name}*' | while read -r c; do find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done; true`]);
}
