// Test helper: a Docker engine of its own as a registry's client (docker login, push, pull), which resolves some names
// to 127.0.0.1 through a private /etc/hosts (a mount namespace of its own; the machine's file is untouched). It runs
// no containers (no iptables), so it shares the host's network with the other engines harmlessly. Root only.
// Not `--bridge=none`: a dockerd started so deletes the host's docker0 bridge, which the machine's other engine owns
// (every container started there meanwhile fails); it gets an empty bridge of its own instead, removed by stop().
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostsFile } from './hosts.ts';
import { until } from './net.ts';
import { pidIn, signalIf } from './proc.ts';

export interface ClientEngine {
  dockerHost: string;
  /** The docker CLI against it, with a config directory of its own (logins); throws with the output on failure. */
  docker(args: string[], input?: string): string;
  /** The same, returning the exit code and output instead of throwing. */
  tryDocker(args: string[], input?: string): { code: number; output: string };
  stop(): Promise<void>;
}

export async function startClientEngine(names: string[]): Promise<ClientEngine> {
  // Short: the socket path must fit a sockaddr_un.
  const dir = mkdtempSync('/var/tmp/mcce-');
  const hosts = hostsFile(names);
  writeFileSync(`${dir}/daemon.json`, JSON.stringify({ 'log-level': 'warn' }));
  const dockerHost = `unix://${dir}/d.sock`;
  const bridge = `mcce${dir.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  // An address of its own outside Docker's default pools (left to itself, dockerd takes one of the 172.x the other engine uses).
  execFileSync('ip', ['addr', 'add', `10.254.${Math.floor(Math.random() * 250) + 1}.1/24`, 'dev', bridge]);
  const child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts,
    'dockerd', '--config-file', `${dir}/daemon.json`, '-H', dockerHost, '--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`,
    '--pidfile', `${dir}/d.pid`, '--iptables=false', '--ip-masq=false', `--bridge=${bridge}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const env = { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: `${dir}/cli` };
  const tryDocker = (args: string[], input?: string) => {
    try {
      return { code: 0, output: execFileSync('docker', args, { env, input, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 << 20 }) };
    } catch (e) {
      const x = e as { status?: number; stdout?: string; stderr?: string };
      return { code: x.status ?? 1, output: `${x.stdout ?? ''}${x.stderr ?? ''}` };
    }
  };
  const docker = (args: string[], input?: string) => {
    const r = tryDocker(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed:\n${r.output}`);
    return r.output.trim();
  };
  await until(`the client dockerd to answer (its log: ${log})`, async () => (tryDocker(['version']).code === 0 ? true : undefined));
  return {
    dockerHost, docker, tryDocker,
    stop: async () => {
      const pid = pidIn(`${dir}/d.pid`) ?? child.pid;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (!signalIf(pid, 'SIGTERM', /dockerd/)) child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
      try { execFileSync('ip', ['link', 'del', bridge]); } catch { /* gone already */ }
    },
  };
}
