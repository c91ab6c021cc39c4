// Reading the last lines of a log file, and following it as it grows.
import { open, stat } from 'node:fs/promises';
export interface TailOptions {
  lines: number;
  follow: boolean;
  signal?: AbortSignal;
}

async function readFrom(file: string, from: number): Promise<{ text: string; size: number }> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return { text: '', size: from };
  try {
    const { size } = await fh.stat();
    if (size <= from) return { text: '', size };
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    return { text: buf.toString('utf8'), size };
  } finally {
    await fh.close();
  }
}

export async function* tailFile(file: string, opts: TailOptions): AsyncGenerator<string> {
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  // Only the end of a large file is read for the backlog.
  const start = Math.max(0, size - 256 * 1024);
  const first = await readFrom(file, start);
  const lines = first.text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (start > 0) lines.shift();
  for (const l of lines.slice(-opts.lines)) yield l;
  let pos = first.size;
  let partial = '';
  while (opts.follow && !opts.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    const next = await readFrom(file, pos);
    if (next.size < pos) pos = 0; // truncated
    else pos = next.size;
    const parts = (partial + next.text).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) yield l;
  }
}
