// Checking a pushed commit's tar archive before anything unpacks or builds it: names, links, entry types, size.
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import * as tar from 'tar-stream';
import { UserError, excerpt, printable, stripTrailing } from '../core/index.ts';

// What `git archive` writes; devices, FIFOs and the rest can only come from a crafted archive.
const ENTRY_TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link']);
// The pax header `git archive` puts first (the commit id): carries no file.
const SKIPPED = new Set(['pax-global-header']);
const MAX_LINK_HOPS = 40; // as the kernel's ELOOP

const LINK_HINT = 'make the link relative and pointing inside the repository, or commit the file itself';

/** An entry's name without git's `./` prefix or a directory's trailing slash. */
/** An entry that carries no file (git archive's pax header): skipped, not refused. */
export const carriesNoFile = (h: Pick<tar.Header, 'type'>) => SKIPPED.has((h.type as string | undefined) ?? 'file');

export const entryName = (raw: string) => stripTrailing(raw.startsWith('./') ? raw.slice(2) : raw, '/');

/** Why this entry may not be unpacked or built (its name and type alone), or null when it may. */
export function entryProblem(h: Pick<tar.Header, 'name' | 'type' | 'linkname'>): UserError | null {
  const type: string = h.type ?? 'file';
  if (carriesNoFile(h)) return null;
  const name = entryName(h.name);
  if (h.name.startsWith('/') || name.split('/').includes('..')) {
    return new UserError(`the pushed archive has an entry outside the repository: ${excerpt(h.name)}`, 'push a commit made with git; minicloud builds only what is inside the repository');
  }
  if (!ENTRY_TYPES.has(type)) return new UserError(`${excerpt(name)} is a ${type}; a repository holds only files, directories and links`, 'remove it from the commit');
  if ((type === 'symlink' || type === 'link') && escapes(name, h.linkname ?? '', type === 'link')) {
    return new UserError(`${printable(name, 200)} is a link to a file outside the repository (${excerpt(h.linkname, 60)})`, LINK_HINT);
  }
  return null;
}

/** The link's target, resolved by its text alone, leaves the tree. A hard link's target is relative to the root. */
function escapes(name: string, target: string, hard: boolean): boolean {
  if (!target || target.startsWith('/')) return true;
  const joined = posix.normalize(hard ? target : posix.join(posix.dirname(name), target));
  return joined === '..' || joined.startsWith('../');
}

/**
 * Resolves `path` through the archive's own links (`links`: name → target) as the kernel would, component by
 * component: false when some step climbs above the root or leads to an absolute path.
 */
export function staysInside(path: string, links: Map<string, string>): boolean {
  const todo = path.split('/').filter((c) => c && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '..') {
      if (!done.length) return false;
      done.pop();
      continue;
    }
    const target = links.get([...done, c].join('/'));
    if (target === undefined) {
      done.push(c);
      continue;
    }
    if (target.startsWith('/') || ++hops > MAX_LINK_HOPS) return false;
    todo.unshift(...target.split('/').filter((t) => t && t !== '.'));
  }
  return true;
}

/** Checks every entry of the archive; resolves when it may be unpacked, rejects with a UserError saying why not. */
export function checkSourceArchive(tarFile: string, maxBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    const links = new Map<string, string>();
    const names = new Set<string>();
    const hard: string[] = [];
    let total = 0;
    const stop = (e: Error) => {
      extract.destroy();
      reject(e);
    };
    extract.on('entry', (h, stream, next) => {
      stream.on('end', next);
      if (carriesNoFile(h)) return stream.resume();
      const problem = entryProblem(h);
      const name = entryName(h.name);
      total += h.size ?? 0;
      if (problem) return stop(problem);
      if (names.has(name)) return stop(new UserError(`the pushed archive holds ${excerpt(name)} twice`, 'push a commit made with git'));
      if (total > maxBytes) return stop(tooLarge(maxBytes));
      names.add(name);
      if (h.type === 'symlink') links.set(name, h.linkname!);
      if (h.type === 'link') hard.push(h.linkname!);
      stream.resume();
    });
    extract.on('finish', () => {
      const out = [...links.keys(), ...hard].find((l) => !staysInside(l, links));
      if (out !== undefined) return reject(new UserError(`${printable(out, 200)} is a link to a file outside the repository (through other links, or in a loop)`, LINK_HINT));
      const through = [...names].find((n) => throughLink(n, links));
      if (through !== undefined) return reject(new UserError(`${printable(through, 200)} lies inside a link; unpacking it would write through the link`, 'push a commit made with git'));
      resolve();
    });
    extract.on('error', (e) => reject(new UserError(`the pushed archive is not a valid tar archive: ${excerpt(e.message, 80)}`, 'push again')));
    createReadStream(tarFile).on('error', stop).pipe(extract);
  });
}

/** An entry inside a directory that is a link (`lib -> sub`, then `lib/x`): unpacking it would write through the link. */
function throughLink(name: string, links: Map<string, string>): boolean {
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) if (links.has(parts.slice(0, i).join('/'))) return true;
  return false;
}

function tooLarge(maxBytes: number): UserError {
  const mib = Math.round(maxBytes / 1024 / 1024);
  return new UserError(
    `the pushed tree is larger than ${mib} MiB, minicloud's limit for one push`,
    'keep build outputs, dependencies and large media out of git (.gitignore), or raise MINICLOUD_MAX_SOURCE_MB on the server',
  );
}
