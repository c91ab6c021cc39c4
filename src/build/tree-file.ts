// Reading the few files minicloud itself reads from a pushed tree: never through a link, never a device, never unbounded.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/index.ts';

export interface TreeFileOptions {
  /** Bytes read at most. */
  limit: number;
  /** true: a longer file is read up to `limit` (detection); false: it is refused, saying so. */
  truncate?: boolean;
}

/**
 * The most minicloud reads of a JSON file it parses (app.json, package.json, an image's manifest) and of a Procfile.
 * 256 KiB: JSON.parse of 1 MiB of `[` still took ~200 ms of the main thread on a busy machine.
 */
export const FILE_LIMIT = 256 * 1024;
export const PROCFILE_LIMIT = 64 * 1024;
/** Detection reads only the start of a file (a dependency list): the rest cannot change what it finds. */
export const DETECT_LIMIT = 64 * 1024;

const HINT = 'commit the file itself, not a link to it';

/**
 * The text of `name` at the root of a pushed tree, or null when the tree has no such entry.
 * Opened with O_NOFOLLOW (a link is refused, in the tree or not) and O_NONBLOCK (a FIFO cannot hang us).
 */
export function readTreeFile(root: string, name: string, o: TreeFileOptions): string | null {
  let fd: number;
  try {
    fd = openSync(join(root, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw new UserError(`${name} is a link; minicloud reads ${name} only as a plain file`, HINT);
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${name} is not a plain file`, HINT);
    if (st.size > o.limit && !o.truncate) {
      throw new UserError(`${name} is ${st.size} bytes; minicloud reads at most ${o.limit}`, `keep ${name} under ${Math.floor(o.limit / 1024)} KiB`);
    }
    const buf = Buffer.alloc(Math.min(st.size, o.limit));
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** The tree has an entry `name` at its root that could be a file (a link counts, and is not followed). */
export function treeHas(root: string, name: string): boolean {
  const st = lstatSync(join(root, name), { throwIfNoEntry: false });
  return !!st && (st.isFile() || st.isSymbolicLink());
}
