// Plain-text rendering: aligned tables, key/value blocks, times, durations, release labels and shell words.

/** Columns separated by two spaces; the last column is not padded so lines have no trailing blanks. */
export function table(rows: string[][], headers?: string[]): string[] {
  const all = headers ? [headers, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return all.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Two columns in at most `width` columns: the name, then its description wrapped beside it; a name too long for
 * the first column gets its description on the lines below it, at the same indent.
 */
export function columns(rows: [string, string][], width = 100, maxFirst = 40): string[] {
  const first = Math.min(maxFirst, Math.max(0, ...rows.map(([n]) => (n.length <= maxFirst ? n.length : 0))));
  const text = Math.max(20, width - first - 2);
  const out: string[] = [];
  for (const [name, description] of rows) {
    const body = wrap(description, text);
    const indent = /^ */.exec(name)?.[0] ?? '';
    if (name.length > first) out.push(...wrap(name.slice(indent.length), width - indent.length - 4).map((l, i) => `${indent}${i ? '    ' : ''}${l}`));
    else out.push(`${name.padEnd(first)}  ${body.shift() ?? ''}`.trimEnd());
    for (const l of body) out.push(`${' '.repeat(first)}  ${l}`);
  }
  return out;
}

/** `Key:   value` lines with the values aligned. */
export function keyValues(pairs: [string, string][]): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}`);
}

export function release(version: number | null | undefined): string {
  return version == null ? '-' : `v${version}`;
}

/** Local time to the second, which is what people compare with their own clock. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `${Math.max(s, 0)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Seconds as the largest whole unit: `2h`, `15m`, `90s`. */
export function duration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Single-quotes a word for `sh`, only when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
