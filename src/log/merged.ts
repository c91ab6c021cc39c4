// One timed stream of an app's logs: its output, the router's access log and its deploys' logs, merged in time order.
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, lastLines, type Deploy, type LogLine, type LogSource, type MergedLogEvent } from '../core/index.ts';

type Line = Extract<MergedLogEvent, { type: 'line' }>;
type Draft = Omit<Line, 'seq' | 'type'>;

export interface MergeSources {
  /** The app's output file (`<data>/logs/<app>/app.log`): lines `<time> <instance>: text` (raw where not tagged). */
  appLog: string;
  /** The router's access log of the app: each line starts with its ISO time. */
  routerLog: string;
  /** The app's recent deploys, newest first. */
  deploys: () => Deploy[];
  /** A deploy's stored log lines after `afterSeq`. */
  deployLines: (id: string, afterSeq: number) => LogLine[];
}

export interface MergeOptions {
  sources: ReadonlySet<LogSource>;
  /** How many of the latest lines (all sources together) come first. */
  lines: number;
  follow: boolean;
  signal?: AbortSignal;
  /** Between two looks at the files and the store while following; default 250 ms. */
  pollMs?: number;
  /** A ping after this long without a line, so proxies keep the stream open; default 20 s. */
  pingMs?: number;
  now?: () => number;
}

/** Only the end of a large file is read for the backlog. */
const BACKLOG_BYTES = 256 * 1024;
/** A time the line carries itself, with its zone (one without is ambiguous): `2026-11-25T10:00:00Z rest`. */
const STAMP = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\s(.*)$/s;

/** The line's own leading time and the rest, or null when it carries none. */
export function ownTime(text: string): { time: string; text: string } | null {
  const m = STAMP.exec(text);
  if (!m) return null;
  const t = Date.parse(m[1]!.replace(' ', 'T'));
  return Number.isNaN(t) ? null : { time: new Date(t).toISOString(), text: m[2]! };
}

/** The instance's name in front of an app line: `web.1: `, or a one-off's `run.1a2b3c4d: ` (runtime/log-tagger.ts). */
const PROCESS = /^([a-z][a-z0-9_-]{0,62}\.[0-9a-z]{1,8}): (.*)$/s;

/** A line of a file source: its own time if it has one, else `fallback` marked as estimated; an app line's instance. */
function fileLine(source: 'app' | 'router', text: string, fallback: string): Draft {
  const own = ownTime(text);
  if (!own) return { time: fallback, source, text, estimated: true };
  const p = source === 'app' ? PROCESS.exec(own.text) : null;
  return p ? { time: own.time, source, process: p[1]!, text: p[2]! } : { time: own.time, source, text: own.text };
}

/** While following, at most this much of a file per look (a burst is taken up over the next looks). */
const READ_BYTES = 1024 * 1024;

/** Up to `max` bytes of `file` from `from` on, its size, time and inode; `restarted` when it is another file now (`ino`) or shorter. */
async function readFrom(file: string, from: number, max: number, ino?: number): Promise<{ buf: Buffer; start: number; size: number; mtime: number; ino?: number; restarted: boolean }> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return { buf: Buffer.alloc(0), start: 0, size: 0, mtime: 0, restarted: from > 0 };
  try {
    const st = await fh.stat();
    const restarted = st.size < from || (ino !== undefined && st.ino !== ino);
    const start = restarted ? 0 : from;
    const buf = Buffer.alloc(Math.min(st.size - start, max));
    const { bytesRead } = buf.length ? await fh.read(buf, 0, buf.length, start) : { bytesRead: 0 };
    return { buf: buf.subarray(0, bytesRead), start, size: st.size, mtime: st.mtimeMs, ino: st.ino, restarted };
  } finally {
    await fh.close();
  }
}

/** Follows one log file from a byte offset, yielding complete lines (each cut at MAX_LINE, in linear time). */
class FileCursor {
  private out: string[] = [];
  private readonly splitter = new LineSplitter((l) => this.out.push(l));
  private decoder = new StringDecoder('utf8');
  private constructor(private readonly file: string, private pos: number, private ino?: number) {}

  static async backlog(file: string, n: number): Promise<{ lines: string[]; mtime: number; cursor: FileCursor }> {
    const size = (await stat(file).catch(() => null))?.size ?? 0;
    const start = Math.max(0, size - BACKLOG_BYTES);
    const r = await readFrom(file, start, BACKLOG_BYTES);
    const cursor = new FileCursor(file, r.start, r.ino);
    let lines = cursor.take(r.buf);
    if (start > 0) lines.shift(); // the first one is cut
    else if (lines.length < n) lines = [...(await lastLines(`${file}.1`, n - lines.length)), ...lines]; // just rotated
    return { lines: n > 0 ? lines.slice(-n) : [], mtime: r.mtime, cursor };
  }

  async next(): Promise<string[]> {
    const r = await readFrom(this.file, this.pos, READ_BYTES, this.ino);
    if (r.restarted) {
      this.splitter.reset();
      this.decoder = new StringDecoder('utf8');
    }
    this.pos = r.start;
    this.ino = r.ino;
    return this.take(r.buf);
  }

  private take(buf: Buffer): string[] {
    this.pos += buf.length;
    this.splitter.push(this.decoder.write(buf));
    const lines = this.out;
    this.out = [];
    return lines;
  }
}

const deploySource = (d: Deploy): LogSource => (d.kind === 'build' ? 'build' : 'release');
const byTime = (a: Draft, b: Draft) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);

/**
 * The last `lines` lines of the chosen sources in time order, then (with `follow`) new lines as they come.
 * Lines with no time of their own get the time minicloud read them, marked `estimated`: for the backlog
 * the log file's last change (no line in it is later), while following the moment it was read (within `pollMs`).
 */
export async function* mergedLogs(src: MergeSources, o: MergeOptions): AsyncGenerator<MergedLogEvent> {
  const now = o.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const want = (s: LogSource) => o.sources.has(s);
  let seq = 0;
  const emit = (d: Draft): Line => ({ type: 'line', seq: ++seq, ...d });

  const backlog: Draft[] = [];
  const files: Array<{ source: 'app' | 'router'; cursor: FileCursor }> = [];
  for (const [source, file] of [['app', src.appLog], ['router', src.routerLog]] as const) {
    if (!want(source)) continue;
    const b = await FileCursor.backlog(file, o.lines);
    const stamp = new Date(b.mtime || now()).toISOString();
    for (const text of b.lines) backlog.push(fileLine(source, text, stamp));
    files.push({ source, cursor: b.cursor });
  }
  // Deploys: the newest ones' lines until enough; remembered by id with the last line seen.
  const seen = new Map<string, number>();
  const deploys = () => src.deploys().filter((d) => want(deploySource(d)));
  let needed = o.lines;
  for (const d of deploys()) {
    const lines = src.deployLines(d.id, 0);
    seen.set(d.id, lines.at(-1)?.seq ?? 0);
    for (const l of needed > 0 ? lines.slice(-needed) : []) backlog.push({ time: l.time, source: deploySource(d), text: l.text });
    needed -= Math.min(needed, lines.length);
  }
  backlog.sort(byTime); // stable: within one time, sources keep their order
  for (const d of o.lines > 0 ? backlog.slice(-o.lines) : []) yield emit(d);

  const finished = new Set<string>();
  let quietSince = now();
  while (o.follow && !o.signal?.aborted) {
    await sleep(o.pollMs ?? 250, o.signal);
    if (o.signal?.aborted) break;
    const fresh: Draft[] = [];
    const readAt = iso();
    for (const f of files) for (const text of await f.cursor.next()) fresh.push(fileLine(f.source, text, readAt));
    for (const d of deploys()) {
      if (finished.has(d.id)) continue;
      const lines = src.deployLines(d.id, seen.get(d.id) ?? 0);
      seen.set(d.id, lines.at(-1)?.seq ?? seen.get(d.id) ?? 0);
      // Read after it was seen finished: it has no more lines to come.
      if (d.status === 'succeeded' || d.status === 'failed') finished.add(d.id);
      for (const l of lines) fresh.push({ time: l.time, source: deploySource(d), text: l.text });
    }
    fresh.sort(byTime);
    if (fresh.length) quietSince = now();
    for (const d of fresh) yield emit(d);
    if (fresh.length === 0 && now() - quietSince >= (o.pingMs ?? 20_000)) {
      quietSince = now();
      yield { type: 'ping', time: iso() };
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
