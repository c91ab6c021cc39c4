// Test helpers for git: a fixture app as a fresh repository, and a push whose output lines are timed.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8' }).trim();
}

export function fixtureRepo(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mc-app-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  return dir;
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', message);
  return git(dir, 'rev-parse', 'HEAD');
}

export interface PushResult {
  code: number;
  output: string;
  /** Each line with the time (ms since the push started) it reached this process. */
  lines: { at: number; text: string }[];
  durationMs: number;
}

// A push (a whole deploy) waits for git to exit; its ceiling is for a machine so busy it never does, and says so.
const PUSH_CEILING_MS = 540_000;

export function push(dir: string, url: string, refspec = 'main', onLine?: (text: string) => void): Promise<PushResult> {
  const started = Date.now();
  const lines: PushResult['lines'] = [];
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['push', url, refspec], { cwd: dir, env: gitEnv });
    let partial = '';
    const onData = (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const p of parts) {
        lines.push({ at: Date.now() - started, text: p.trimEnd() });
        onLine?.(p);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    const ceiling = setTimeout(() => {
      child.kill('SIGKILL');
      const where = url.replace(/\/\/[^@/]*@/, '//');
      reject(new Error(`waited ${PUSH_CEILING_MS / 60_000} min for git push ${where} ${refspec} to end, in vain; its output so far:\n${lines.map((l) => l.text).join('\n')}${partial}`));
    }, PUSH_CEILING_MS);
    child.on('close', (code) => {
      clearTimeout(ceiling);
      if (partial) lines.push({ at: Date.now() - started, text: partial });
      resolve({ code: code ?? 1, output: lines.map((l) => l.text).join('\n'), lines, durationMs: Date.now() - started });
    });
  });
}
