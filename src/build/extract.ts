// Unpacking a pushed commit's tar archive into its own release directory (each builder says how much: Builder.unpack).
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `topLevel`: only the files at the root (what detection and the manifest read), not the tree. */
export async function extractTar(tarFile: string, dir: string, topLevel = false): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-xf', tarFile, '-C', dir, '--no-same-owner', ...(topLevel ? ['--exclude=*/*'] : [])]);
}
