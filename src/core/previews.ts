// Preview apps: which branches get one (a glob over branch names), and the preview app's name for a branch.
import { createHash } from 'node:crypto';
import { UserError } from './errors.ts';
import { stripTrailing } from './names.ts';

/**
 * Whether `branch` matches `pattern`: `*` any run without `/`, `**` any run at all, `?` one character but `/`, the
 * rest literal. Linear in practice: a table over pattern positions, advanced one character at a time.
 */
export function branchMatches(pattern: string, branch: string): boolean {
  let states = closure(pattern, new Set([0]));
  for (const ch of branch) {
    const next = new Set<number>();
    for (const i of states) {
      const p = pattern[i];
      if (p === undefined) continue;
      if (p === '*') {
        const deep = pattern[i + 1] === '*';
        if (deep || ch !== '/') next.add(i); // stay on the star
      } else if ((p === '?' && ch !== '/') || p === ch) next.add(i + 1);
    }
    states = closure(pattern, next);
    if (states.size === 0) return false;
  }
  return states.has(pattern.length);
}

/** Positions reachable without reading: past a `*` (matching nothing) or a `**`. */
function closure(pattern: string, from: Set<number>): Set<number> {
  const out = new Set(from);
  for (const i of [...out].sort((a, b) => a - b)) {
    let j = i;
    while (pattern[j] === '*') {
      j += pattern[j + 1] === '*' ? 2 : 1;
      out.add(j);
    }
  }
  return out;
}

/** A branch pattern as given to previews:enable: printable, no spaces, at most 100 characters. */
export function validateBranchPattern(pattern: unknown): string {
  if (typeof pattern !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(pattern)) {
    throw new UserError(`invalid branch pattern ${JSON.stringify(pattern ?? '')}`, "e.g. --branches 'feature/*' (* any run without /, ** any run)");
  }
  return pattern;
}

/**
 * The app names a branch's preview may take, in order: `<app>-<branch>` (lowercase, each run of other characters one
 * dash), then the same cut short and followed by six hex digits of the branch's hash, for when the first is too
 * long or taken (by another app, or by a branch that reads the same: `feature/x`, `feature-x`).
 */
export function previewNames(app: string, branch: string): string[] {
  const dashed = branch.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const slug = stripTrailing(dashed.slice(dashed.startsWith('-') ? 1 : 0), '-'); // one run of dashes at most: the replace made them one
  const hash = createHash('sha256').update(branch).digest('hex').slice(0, 6);
  const cut = stripTrailing(slug.slice(0, Math.max(0, 63 - app.length - 8)), '-');
  const hashed = cut ? `${app}-${cut}-${hash}` : `${app}-${hash}`;
  const plain = `${app}-${slug}`;
  return slug && plain.length <= 63 ? [plain, hashed] : [hashed];
}
