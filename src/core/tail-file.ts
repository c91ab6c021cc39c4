// Reading the last lines of a log file, and following it as it grows; lines cut at MAX_LINE.
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './line-splitter.ts';

export interface TailOptions {
  lines: number;
  follow: boolean;
  signal?: AbortSignal;
}

/** Only the end of a large file is read for the backlog; while following, at most this much per read. */
const BACKLOG_BYTES = 256 * 1024;
const READ_BYTES = 1024 * 1024;

/** Up to READ_BYTES from `from` on, and the file's size. */
async function readFrom(file: string, from: number): Promise<{ buf: Buffer; size: number }> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return { buf: Buffer.alloc(0), size: from };
  try {
    const { size } = await fh.stat();
    if (size <= from) return { buf: Buffer.alloc(0), size };
    const buf = Buffer.alloc(Math.min(size - from, READ_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return { buf: buf.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** The last `n` whole lines of a file, as the backlog reads them (none when it is missing). */
export async function lastLines(file: string, n: number): Promise<string[]> {
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  const start = Math.max(0, size - BACKLOG_BYTES);
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  splitter.push(new StringDecoder('utf8').write((await readFrom(file, start)).buf));
  splitter.end();
  if (start > 0) lines.shift();
  return n > 0 ? lines.slice(-n) : [];
}

export async function* tailFile(file: string, opts: TailOptions): AsyncGenerator<string> {
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  let pos = Math.max(0, size - BACKLOG_BYTES);
  let lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  const decoder = new StringDecoder('utf8');
  let skipFirst = pos > 0; // it starts before the backlog: cut
  // The backlog: whole lines up to the size seen at the start.
  while (pos < size) {
    const r = await readFrom(file, pos);
    if (r.buf.length === 0) break;
    pos += r.buf.length;
    splitter.push(decoder.write(r.buf));
  }
  if (!opts.follow) splitter.end(); // an unfinished last line counts; when following, it is yielded once finished
  if (skipFirst) lines.shift();
  // Just rotated (`<file>.1` holds what came before): the backlog goes on there.
  const older = lines.length < opts.lines && !skipFirst ? await lastLines(`${file}.1`, opts.lines - lines.length) : [];
  for (const l of [...older, ...lines].slice(-opts.lines)) yield l;
  lines = [];
  skipFirst = false;
  while (opts.follow && !opts.signal?.aborted) {
    const r = await readFrom(file, pos);
    if (r.size < pos) { // truncated or rotated: start over
      pos = 0;
      splitter.reset();
      continue;
    }
    pos += r.buf.length;
    splitter.push(decoder.write(r.buf));
    for (const l of lines) yield l;
    lines = [];
    if (r.buf.length < READ_BYTES) await new Promise((res) => setTimeout(res, 250));
  }
}
