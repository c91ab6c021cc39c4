// Volume parts: a gzipped tar of the volume's directory; restored by extracting beside it and swapping it in.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './exec.ts';

export async function archive(hostDir: string, file: string): Promise<number> {
  mkdirSync(hostDir, { recursive: true });
  await run('tar', 'tar', ['-czf', '-', '-C', hostDir, '.'], { stdoutFile: file });
  return entries(file);
}

/** Entries in the archive (the check that it reads back whole). */
export async function entries(file: string): Promise<number> {
  const r = await run('reading the archive', 'tar', ['-tzf', file]);
  return r.stdout.split('\n').filter((l) => l && l !== './').length;
}

export async function extract(file: string, hostDir: string): Promise<void> {
  const tmp = join(dirname(hostDir), `.restore-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    await run('extracting the archive', 'tar', ['-xzf', file, '-C', tmp]);
    if (existsSync(hostDir)) rmSync(hostDir, { recursive: true, force: true });
    renameSync(tmp, hostDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
