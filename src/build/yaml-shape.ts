// A linear pre-check of pushed YAML: the features a manifest never needs but the parser pays dearly for.
// Measured with the yaml package on 64 KiB: 65,536 `[` overflowed its stack (and a later parse then aborted the
// whole process in V8's regexp compiler); 21,000 `!a` tags took 2.8-3.4 s. Refused here before it parses.
import { createRequire } from 'node:module';
import type { DocumentOptions, ParseOptions, SchemaOptions, ToJSOptions } from 'yaml';

const MAX_DEPTH = 16;
const MAX_TAGS = 16;

const isBlank = (c: number | undefined) => c === undefined || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const opensToken = (c: number | undefined) => isBlank(c) || c === 0x5b || c === 0x7b || c === 0x2c; // [ { ,

/** Why this YAML text is refused before parsing, or null. */
export function yamlShapeProblem(text: string): string | null {
  let depth = 0;
  let tags = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return `it nests [ ] or { } deeper than ${MAX_DEPTH}`;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if ((c === 0x21 || c === 0x26) && opensToken(i === 0 ? undefined : text.charCodeAt(i - 1)) && !isBlank(text.charCodeAt(i + 1)) && text.charCodeAt(i + 1) !== c) {
      // `!tag` or `&anchor` (not `a && b`, `test ! -f x`, `cmd &`)
      if (++tags > MAX_TAGS) return `it has more than ${MAX_TAGS} tags (!) or anchors (&)`;
    } else if ((i === 0 || text.charCodeAt(i - 1) === 0x0a) && indicators(text, i) > MAX_DEPTH) {
      return `a line opens more than ${MAX_DEPTH} nested entries (- or ?)`;
    }
  }
  return null;
}

/** How many `- ` / `? ` block indicators the line at `start` opens before its content. */
function indicators(text: string, start: number): number {
  let n = 0;
  let i = start;
  for (;;) {
    while (text.charCodeAt(i) === 0x20) i++;
    const c = text.charCodeAt(i);
    if ((c !== 0x2d && c !== 0x3f) || !isBlank(text.charCodeAt(i + 1)) || text.charCodeAt(i + 1) === 0x0a) return n;
    n++;
    i += 2;
  }
}

let yamlParse: typeof import('yaml').parse | null = null;

/** The yaml package's parse, required at the first manifest or Compose file read (builds), not at minicloud's start. */
export function parseYaml(text: string, options: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions): unknown {
  yamlParse ??= (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse;
  return yamlParse(text, options);
}
