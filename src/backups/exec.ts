// Running the database and archive tools: arguments as an array (no shell), passwords only in the environment.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { baseEnv } from '../core/index.ts';

export interface ExecOptions {
  /** Extra environment, e.g. PGPASSWORD or MYSQL_PWD; never logged. */
  env?: Record<string, string | undefined>;
  /** stdout goes to this file, created mode 0600. */
  stdoutFile?: string;
  /** stdin comes from this file. */
  stdinFile?: string;
  timeoutMs?: number;
}

export interface ExecResult { code: number; stdout: string; stderr: string }

const KEEP = 64 * 1024;

export function exec(cmd: string, args: string[], o: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const outFd = o.stdoutFile ? openSync(o.stdoutFile, 'w', 0o600) : null;
    const inFd = o.stdinFile ? openSync(o.stdinFile, 'r') : null;
    const close = () => { for (const fd of [outFd, inFd]) if (fd !== null) try { closeSync(fd); } catch { /* closed */ } };
    const child = spawn(cmd, args, { env: baseEnv(o.env ?? {}), stdio: [inFd ?? 'ignore', outFd ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < 16 * KEEP) stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < KEEP) stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60 * 60_000);
    child.on('error', (e) => { clearTimeout(timer); close(); reject(new Error(`cannot run ${cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => { clearTimeout(timer); close(); resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }); });
  });
}

/** Runs and throws (with the tool's last words) unless it exits 0. */
export async function run(what: string, cmd: string, args: string[], o: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(cmd, args, o);
  if (r.code !== 0) throw new Error(`${what} failed (${cmd} exited ${r.code}): ${lastWords(r.stderr)}`);
  return r;
}

export function lastWords(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return lines.slice(-3).join(' / ').slice(0, 500) || 'no output';
}
