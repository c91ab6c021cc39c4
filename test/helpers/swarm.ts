// Test helper: a real Docker Swarm of one to three nodes on this machine. Each node is a network namespace with its own
// dockerd (own data root under /var/tmp, own UTS namespace), joined by a bridge in a "switch" namespace; the host has
// an address on that bridge (the router's and the tests' way to the tasks); Debian's docker-registry runs in the
// manager's namespace. Addresses exist only inside namespaces this helper made. down() removes exactly what it made,
// by pid and by name. Needs root, iproute2, util-linux (unshare), dockerd, docker-registry (scripts/test.mjs installs them).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

export interface SwarmNode {
  name: string;
  /** The node's address on the swarm's private network. */
  ip: string;
  /** unix:// socket of its dockerd. */
  dockerHost: string;
  /** The docker CLI against its engine; output trimmed. */
  docker(...args: string[]): string;
}

export interface Swarm {
  nodes: SwarmNode[];
  manager: SwarmNode;
  /** host:port of the registry every node pulls from (plain HTTP, trusted by each node's daemon.json). */
  registry: string;
  /** The host's own address on the swarm's network. */
  hostIp: string;
  /** Seconds from nothing to a formed swarm with its registry answering. */
  formedInS: number;
  /** Copies an image from another engine (the tests' private one) into the manager's engine. */
  loadImage(fromDockerHost: string, image: string): void;
  /** A hard crash of one node: every process in its namespace (dockerd, containerd, shims, their containers) killed. */
  killNode(name: string): void;
  /** A killed node starts again: its dockerd (same data root, so still a member of the swarm) in its namespace; resolves once it answers. */
  restartNode(name: string): Promise<void>;
  down(): Promise<void>;
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 << 20 }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LETTERS = ['a', 'b', 'c'];

/** `mount` commands re-creating the host's cgroup mounts: `ip netns exec` remounts /sys without them. */
function cgroupMounts(): string {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '))
    .filter((f) => f[1]?.startsWith('/sys/fs/cgroup'))
    .map(([src, dst, type, opts]) => `mkdir -p ${dst} && mount -t ${type} -o ${opts} ${src} ${dst} && `).join('');
}

/** A /24 in <prefix>.0.0/16 (10.216 by default) that no interface or route of this host uses yet. */
function freeSubnet(prefix = '10.216'): string {
  const used = `${sh('ip', ['-o', '-4', 'addr'])}\n${sh('ip', ['-4', 'route'])}`;
  for (;;) {
    const net = `${prefix}.${1 + randomBytes(1)[0]! % 250}`;
    if (!used.includes(` ${net}.`) && !used.includes(`\n${net}.`) && !used.startsWith(`${net}.`)) return net;
  }
}

/** The host routes the node's container networks (`pool`.0/24) to the node, which forwards to them (DOCKER-USER). */
function reachContainers(n: SwarmNode, pool: string): void {
  sh('ip', ['route', 'add', `${pool}.0/24`, 'via', n.ip]);
  sh('ip', ['netns', 'exec', n.name, 'iptables', '-I', 'DOCKER-USER', '-i', 'eth0', '-j', 'ACCEPT']);
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>, detail = () => ''): Promise<void> {
  for (const end = Date.now() + ms; ;) {
    try {
      if (await check()) return;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`swarm harness: ${what} did not happen within ${ms / 1000} s ${detail()}`);
    await sleep(200);
  }
}

export interface SwarmOptions {
  nodes?: number;
  /** The registry asks for these credentials (htpasswd, bcrypt), for pushes and pulls alike. */
  registryAuth?: { username: string; password: string };
  /**
   * false: the engines only, not yet a swarm and no registry (a single server that `minicloud swarm:init` turns into
   * one). Their containers' own addresses are then reachable from the host, as on a server where minicloud runs beside
   * its engine: each node's local networks come from a /24 of their own, routed to the node, its forwarding allowed.
   */
  form?: boolean;
}

export async function startSwarm(opts: SwarmOptions = {}): Promise<Swarm> {
  const started = performance.now();
  const p = `mcs${randomBytes(2).toString('hex')}`; // interface names stay under 15 characters
  const net = freeSubnet();
  const names = LETTERS.slice(0, opts.nodes ?? 2);
  const registry = `${net}.1:5000`;
  const run = `/var/tmp/${p}`; // short: socket paths must fit a sockaddr_un
  const nodes: SwarmNode[] = names.map((n, i) => {
    const dockerHost = `unix://${run}/${n}/d.sock`;
    return {
      name: `${p}-${n}`, ip: `${net}.${i + 1}`, dockerHost,
      docker: (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: dockerHost }, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 << 20 }).trim(),
    };
  });
  const swarm: Swarm = {
    nodes, manager: nodes[0]!, registry, hostIp: `${net}.254`, formedInS: 0,
    loadImage: (from, image) => {
      const r = spawnSync('sh', ['-c', `docker -H "$FROM" save "$IMAGE" | docker -H "$TO" load -q`], { env: { ...process.env, FROM: from, TO: nodes[0]!.dockerHost, IMAGE: image }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`loading ${image} into the swarm's manager failed: ${r.stderr}`);
    },
    killNode: (name) => killNamespace(name),
    restartNode: async (name) => {
      const i = nodes.findIndex((n) => n.name === name);
      const dir = `${run}/${names[i]}`;
      // The pid files of the killed daemons: a later process may hold those pids by now.
      for (const f of [`${dir}/d.pid`, `${dir}/exec/containerd/containerd.pid`]) rmSync(f, { force: true });
      startDockerd(nodes[i]!, dir, registry);
      await until(`${name}'s dockerd to answer again`, 60_000, () => spawnSync('docker', ['-H', nodes[i]!.dockerHost, 'version'], { stdio: 'ignore' }).status === 0,
        () => readFileSync(`${dir}/dockerd.log`, 'utf8').slice(-1500));
    },
    down: () => down(p, run, nodes),
  };
  try {
    mkdirSync(run, { recursive: true });
    network(p, net, nodes);
    const pools = opts.form === false ? nodes.map(() => freeSubnet('10.217')) : [];
    for (const [i, n] of nodes.entries()) startDockerd(n, `${run}/${names[i]}`, registry, pools[i]);
    for (const [i, n] of nodes.entries()) {
      await until(`${n.name}'s dockerd to answer`, 60_000, () => spawnSync('docker', ['-H', n.dockerHost, 'version'], { stdio: 'ignore' }).status === 0,
        () => readFileSync(`${run}/${names[i]}/dockerd.log`, 'utf8').slice(-1500));
    }
    if (opts.form === false) {
      for (const [i, n] of nodes.entries()) reachContainers(n, pools[i]!);
      swarm.formedInS = (performance.now() - started) / 1000;
      return swarm;
    }
    form(swarm);
    await until('every node to be Ready', 60_000, () => {
      const states = swarm.manager.docker('node', 'ls', '--format', '{{.Status}}').split('\n');
      return states.length === nodes.length && states.every((s) => s === 'Ready');
    });
    startRegistry(p, run, registry, opts.registryAuth);
    await until('the registry to answer', 30_000, async () => [200, 401].includes((await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(2000) })).status),
      () => readFileSync(`${run}/registry.log`, 'utf8').slice(-1500));
    swarm.formedInS = (performance.now() - started) / 1000;
    return swarm;
  } catch (e) {
    await swarm.down();
    throw e;
  }
}

/** The switch namespace's bridge; a veth into it from each node's namespace and from the host. */
function network(p: string, net: string, nodes: SwarmNode[]): void {
  sh('ip', ['netns', 'add', `${p}-sw`]);
  sh('ip', ['-n', `${p}-sw`, 'link', 'add', 'br0', 'type', 'bridge']);
  sh('ip', ['-n', `${p}-sw`, 'link', 'set', 'br0', 'up']);
  sh('ip', ['link', 'add', `${p}h`, 'type', 'veth', 'peer', 'name', `${p}hp`]);
  sh('ip', ['link', 'set', `${p}hp`, 'netns', `${p}-sw`]);
  sh('ip', ['-n', `${p}-sw`, 'link', 'set', `${p}hp`, 'master', 'br0', 'up']);
  sh('ip', ['addr', 'add', `${net}.254/24`, 'dev', `${p}h`]);
  sh('ip', ['link', 'set', `${p}h`, 'up']);
  for (const n of nodes) {
    const tag = `${p}${n.name.slice(-1)}`;
    sh('ip', ['netns', 'add', n.name]);
    sh('ip', ['-n', n.name, 'link', 'set', 'lo', 'up']);
    sh('ip', ['link', 'add', `${tag}e`, 'type', 'veth', 'peer', 'name', `${tag}p`]);
    sh('ip', ['link', 'set', `${tag}e`, 'netns', n.name]);
    sh('ip', ['-n', n.name, 'link', 'set', `${tag}e`, 'name', 'eth0']);
    sh('ip', ['link', 'set', `${tag}p`, 'netns', `${p}-sw`]);
    sh('ip', ['-n', `${p}-sw`, 'link', 'set', `${tag}p`, 'master', 'br0', 'up']);
    sh('ip', ['-n', n.name, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', n.name, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', n.name, 'route', 'add', 'default', 'via', `${net}.254`]);
  }
}

function startDockerd(n: SwarmNode, dir: string, registry: string, pool?: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/daemon.json`, JSON.stringify({
    'insecure-registries': [registry], 'deprecated-key-path': `${dir}/key.json`, 'storage-driver': 'overlay2',
    'cgroup-parent': `/${n.name}`, 'log-level': 'warn',
    ...(pool && { 'default-address-pools': [{ base: `${pool}.0/24`, size: 28 }] }),
  }));
  const log = openSync(`${dir}/dockerd.log`, 'a');
  // detached, its own session; `ip netns exec` and `unshare` exec, so the launcher becomes dockerd. Its own UTS
  // namespace: each node gets its own hostname (else every node is called the same).
  const launcher = spawn('ip', ['netns', 'exec', n.name, 'unshare', '-u', 'sh', '-c',
    `hostname ${n.name} && ${cgroupMounts()}exec dockerd --config-file ${dir}/daemon.json -H ${n.dockerHost} `
    + `--data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${dir}/d.pid`], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  launcher.unref();
}

/** swarm init on the manager (1 s heartbeats: a dead node is noticed in seconds, not ~14 s), join the others. */
function form(swarm: Swarm): void {
  const m = swarm.manager;
  m.docker('swarm', 'init', '--advertise-addr', m.ip, '--listen-addr', `${m.ip}:2377`, '--dispatcher-heartbeat', '1s');
  const token = m.docker('swarm', 'join-token', '-q', 'worker');
  for (const n of swarm.nodes.slice(1)) n.docker('swarm', 'join', '--token', token, '--advertise-addr', n.ip, '--listen-addr', `${n.ip}:2377`, `${m.ip}:2377`);
}

function startRegistry(p: string, run: string, registry: string, auth?: { username: string; password: string }): void {
  mkdirSync(`${run}/registry`, { recursive: true });
  if (auth) writeFileSync(`${run}/htpasswd`, `${auth.username}:${bcrypt.hashSync(auth.password, 8)}\n`, { mode: 0o600 });
  const htpasswd = auth ? `auth:\n  htpasswd:\n    realm: minicloud\n    path: ${run}/htpasswd\n` : '';
  writeFileSync(`${run}/registry.yml`, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${run}/registry\n  delete:\n    enabled: true\nhttp:\n  addr: ${registry}\n${htpasswd}`);
  const log = openSync(`${run}/registry.log`, 'a');
  spawn('ip', ['netns', 'exec', `${p}-a`, 'docker-registry', 'serve', `${run}/registry.yml`], { stdio: ['ignore', log, log], detached: true }).unref();
  closeSync(log);
}

const nsPids = (ns: string) => (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
const children = (pid: number) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);

/**
 * Kills every process of a node's namespace and the containers under its shims (each in namespaces of its own). A
 * SIGKILLed shim leaves its socket in the host-wide /run/containerd/s/ (sha256 of address/namespace/id): removed too.
 */
function killNamespace(ns: string): void {
  const pids = nsPids(ns);
  const socks = pids.flatMap((pid) => {
    const argv = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') : [];
    if (!argv[0]?.includes('containerd-shim')) return [];
    const arg = (k: string) => argv[argv.indexOf(k) + 1];
    return [`${arg('-address')}/${arg('-namespace')}/${arg('-id')}`];
  });
  for (const pid of [...pids, ...pids.flatMap(children)]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const s of socks) {
    rmSync(`/run/containerd/s/${createHash('sha256').update(s).digest('hex')}`, { force: true });
  }
}

/**
 * Each node's dockerd log (its last 256 KB) and the registry's, kept in test/artifacts before the cluster's directory
 * goes: a manager's dockerd has twice stopped answering in the middle of a suite run (its socket refused), and its
 * own words are the way to learn why.
 */
function keepLogs(p: string, run: string, nodes: SwarmNode[]): void {
  const out = new URL('../artifacts/', import.meta.url).pathname;
  try {
    mkdirSync(out, { recursive: true });
    for (const [name, file] of [...nodes.map((n) => [n.name, `${run}/${n.name.slice(p.length + 1)}/dockerd.log`] as const), [`${p}-registry`, `${run}/registry.log`] as const]) {
      if (existsSync(file)) writeFileSync(`${out}swarm-${name}.log`, readFileSync(file).subarray(-256 * 1024));
    }
  } catch {
    // a log that cannot be kept must not fail the teardown
  }
}

/** A throw-away cluster: no graceful leave (a SIGTERMed dockerd with swarm tasks takes ~14 s); everything by pid. */
async function down(p: string, run: string, nodes: SwarmNode[]): Promise<void> {
  // A dockerd that no longer answers at the end was not stopped by the test: its last words go to the test's output.
  for (const n of nodes) {
    if (spawnSync('docker', ['-H', n.dockerHost, 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) continue;
    const file = `${run}/${n.name.slice(p.length + 1)}/dockerd.log`;
    console.log(`swarm node ${n.name}: its dockerd does not answer at teardown; the end of its log:\n${existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '(none)'}`);
  }
  for (let i = 0; i < 50; i++) {
    const left = nodes.some((n) => nsPids(n.name).length > 0);
    if (!left) break;
    for (const n of nodes) killNamespace(n.name); // the registry lives in the manager's namespace
    await sleep(200);
  }
  for (const n of nodes) spawnSync('ip', ['netns', 'del', n.name]);
  spawnSync('ip', ['netns', 'del', `${p}-sw`]);
  spawnSync('ip', ['link', 'del', `${p}h`]);
  keepLogs(p, run, nodes);
  // Container mounts lived in each dockerd's private mount namespace and went with it.
  if (existsSync(run)) rmSync(run, { recursive: true, force: true });
  // Container cgroups (cgroup-parent /<node>), empty once their processes died.
  spawnSync('sh', ['-c', `find /sys/fs/cgroup/ -mindepth 1 -maxdepth 3 -type d -name '${p}-*' | while read -r c; do find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done; true`]);
  // The CA trust a minicloud with its own registry wrote for this swarm (/etc/docker/certs.d/<an address of it>:<port>).
  const net = nodes[0] ? nodes[0].ip.slice(0, nodes[0].ip.lastIndexOf('.') + 1) : null;
  const certs = '/etc/docker/certs.d';
  if (net && existsSync(certs)) for (const d of readdirSync(certs)) if (d.startsWith(net)) rmSync(`${certs}/${d}`, { recursive: true, force: true });
}
