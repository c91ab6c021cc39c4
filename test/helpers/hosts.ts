// Test helper: run a command that resolves some names to 127.0.0.1 through the system resolver, as real DNS would
// (npm, git, curl and Node alike), by bind-mounting a private /etc/hosts in a mount namespace of its own (root only).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Run { code: number; stdout: string; stderr: string }

/** A hosts file with the machine's own entries and `names` on 127.0.0.1. */
export function hostsFile(names: string[]): string {
  if (process.getuid?.() !== 0) throw new Error('this test runs commands in a mount namespace with its own /etc/hosts: run it as root');
  const file = join(mkdtempSync(join(tmpdir(), 'mc-hosts-')), 'hosts');
  writeFileSync(file, `${readFileSync('/etc/hosts', 'utf8')}\n127.0.0.1 ${names.join(' ')}\n`);
  return file;
}

/** Runs `cmd args` with `hosts` as its /etc/hosts; the machine's own file is untouched. */
export function runWithHosts(hosts: string, cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, cmd, ...args], {
      cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => c.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.stdin.end(o.input ?? '');
    c.on('error', reject);
    c.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}
