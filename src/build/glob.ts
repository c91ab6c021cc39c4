// .dockerignore patterns matched in linear time: a set of positions advanced one character at a time, no backtracking.
// @balena/dockerignore turns each pattern into a RegExp: `*a*a*a*a*a*a*a*a*a!` against a 40-character name took
// 10.5 s, `**/**/…/x` against a deep path longer still, `(a+)+b` passed through as a group (4.6 s for 26 a's), and
// a lone `[` threw from inside the build-context stream.

type Token =
  | { t: 'lit'; c: string }
  | { t: 'one' } // ?: one character but /
  | { t: 'star' } // *: any run without /
  | { t: 'dirs' } // **/ (or ** before more): any run ending in /, or nothing
  | { t: 'rest' } // ** at the end: anything
  | { t: 'class'; neg: boolean; ranges: Array<[string, string]> };

/** The pattern as balena's translation reads it (**, *, ?, [classes], \ escapes), every other character literal. */
export function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      out.push({ t: i + 1 >= pattern.length ? 'rest' : 'dirs' });
    } else if (ch === '*') out.push({ t: 'star' });
    else if (ch === '?') out.push({ t: 'one' });
    else if (ch === '\\') out.push({ t: 'lit', c: i + 1 < pattern.length ? pattern[++i]! : '\\' });
    else if (ch === '[' && pattern.indexOf(']', i + 2) > 0) i = charClass(pattern, i, out);
    else out.push({ t: 'lit', c: ch });
  }
  return out;
}

/** Reads `[...]` at `i` into `out`; returns the index of its `]`. */
function charClass(pattern: string, i: number, out: Token[]): number {
  const end = pattern.indexOf(']', i + 2);
  let body = pattern.slice(i + 1, end);
  const neg = body.startsWith('^');
  if (neg) body = body.slice(1);
  const ranges: Array<[string, string]> = [];
  for (let k = 0; k < body.length; k++) {
    if (body[k + 1] === '-' && k + 2 < body.length) {
      ranges.push([body[k]!, body[k + 2]!]);
      k += 2;
    } else ranges.push([body[k]!, body[k]!]);
  }
  out.push({ t: 'class', neg, ranges });
  return end;
}

function step(tok: Token, c: string): boolean {
  switch (tok.t) {
    case 'lit': return tok.c === c;
    case 'one': return c !== '/';
    case 'class': return c !== '/' && tok.ranges.some(([a, b]) => c >= a && c <= b) !== tok.neg;
    default: return false;
  }
}

/** Whether the whole of `path` matches `pattern` (as balena's anchored RegExp would), in O(path × pattern). */
export function globMatch(pattern: string, path: string, ignoreCase = true): boolean {
  const toks = tokens(ignoreCase ? pattern.toLowerCase() : pattern);
  const text = ignoreCase ? path.toLowerCase() : path;
  const n = toks.length;
  // at[i]: at token i; inside[i]: inside the run of a `dirs` token i, before its final /.
  const start = new Uint8Array(n + 1);
  start[0] = 1;
  let at = close(start, toks);
  let inside = new Uint8Array(n + 1);
  for (const c of text) {
    const nextAt = new Uint8Array(n + 1);
    const nextInside = new Uint8Array(n + 1);
    for (let i = 0; i < n; i++) {
      const tok = toks[i]!;
      if (at[i] || (tok.t === 'dirs' && inside[i])) {
        if (tok.t === 'star' && c !== '/') nextAt[i] = 1;
        else if (tok.t === 'rest') nextAt[i] = 1;
        else if (tok.t === 'dirs') {
          nextInside[i] = 1;
          if (c === '/') nextAt[i + 1] = 1;
        } else if (step(tok, c)) nextAt[i + 1] = 1;
      }
    }
    at = close(nextAt, toks);
    inside = nextInside;
  }
  return at[n] === 1;
}

/** Adds the positions reachable without a character: past a star, a rest or a dirs token matching nothing. */
function close(at: Uint8Array, toks: Token[]): Uint8Array {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!.t;
    if (at[i] && (t === 'star' || t === 'rest' || t === 'dirs')) at[i + 1] = 1;
  }
  return at;
}
