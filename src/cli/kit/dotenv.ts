// Reading a .env file for `config:set --file`: the dotenv syntax (comments, `export `, quotes, escapes, multi-line
// quoted values). An error names the file and line and never the value, which may be a secret.
import { UserError, validateConfigKey } from '../../core/index.ts';

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };

/** The config vars a .env text sets, in order (a name set twice: the last wins, as in a shell). */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let at = 0;
  let line = 1;
  while (at < src.length) {
    const end = src.indexOf('\n', at) < 0 ? src.length : src.indexOf('\n', at);
    const raw = src.slice(at, end);
    if (/^\s*(#.*)?$/.test(raw)) {
      at = end + 1;
      line++;
      continue;
    }
    const fail = (what: string) => new UserError(`${file} line ${line}: ${what}`, 'dotenv syntax: KEY=value, KEY="value with \\n escapes", KEY=\'literal\', `export KEY=value`, # comments');
    const m = keyAt(raw);
    if (!m) throw fail('expected KEY=value');
    const key = m.key;
    try {
      validateConfigKey(key);
    } catch (e) {
      throw fail((e as Error).message);
    }
    const read = readValue(src, at + m.end, fail);
    vars[key] = read.value;
    line += src.slice(at, read.next).split('\n').length - 1;
    at = read.next;
  }
  return vars;
}

type Fail = (what: string) => UserError;

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\v' || c === '\f';

/** `  export KEY =` at a line's start: the key and where its `=` ends; by hand, one pass (the file is the user's, but long). */
function keyAt(raw: string): { key: string; end: number } | null {
  let i = 0;
  while (isSpace(raw[i])) i++;
  if (raw.startsWith('export', i) && isSpace(raw[i + 6])) {
    i += 6;
    while (isSpace(raw[i])) i++;
  }
  const start = i;
  while (i < raw.length && !isSpace(raw[i]) && raw[i] !== '=' && raw[i] !== '#') i++;
  const key = raw.slice(start, i);
  while (isSpace(raw[i])) i++;
  return raw[i] === '=' ? { key, end: i + 1 } : null;
}

/** An unquoted value up to its comment: a `#` at the start or after a space; one inside a word stays. */
function withoutComment(value: string): string {
  for (let i = 0; i < value.length; i++) if (value[i] === '#' && (i === 0 || isSpace(value[i - 1]))) return value.slice(0, i);
  return value;
}

/** The value from `from` (just past the `=`) and where the next line starts. */
function readValue(src: string, from: number, fail: Fail): { value: string; next: number } {
  let i = from;
  while (src[i] === ' ' || src[i] === '\t') i++;
  const quote = src[i];
  if (quote !== '"' && quote !== "'" && quote !== '`') {
    const end = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    // An unquoted value ends at a ` #` comment; a `#` inside a word is kept (a URL's fragment).
    const value = withoutComment(src.slice(i, end)).trim();
    return { value, next: end + 1 };
  }
  let value = '';
  let j = i + 1;
  for (; j < src.length && src[j] !== quote; j++) {
    if (quote === '"' && src[j] === '\\' && j + 1 < src.length) {
      const c = src[++j]!;
      value += ESCAPES[c] ?? `\\${c}`;
    } else {
      value += src[j];
    }
  }
  if (j >= src.length) throw fail(`the ${quote} quote opened here is never closed`);
  const end = src.indexOf('\n', j) < 0 ? src.length : src.indexOf('\n', j);
  if (!/^\s*(#.*)?$/.test(src.slice(j + 1, end))) throw fail('unexpected text after the closing quote (quote the whole value)');
  return { value, next: end + 1 };
}
