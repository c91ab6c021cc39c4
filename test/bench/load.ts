// The load generators of the router bench and what is read from their output: wrk (HTTP/1.1, plain and TLS),
// h2load (HTTP/2, per-request times from its log for the p99) and openssl s_time (new TLS handshakes a second).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Figure {
  /** Requests (or handshakes) a second. */
  rps: number;
  /** 99th percentile latency in ms (NaN when the tool gives none). */
  p99: number;
  /** The slowest request in ms (NaN when the tool gives none). */
  max: number;
  /** Requests that took longer than wrk's --timeout (2 s), or that failed. */
  late: number;
  errors: number;
}

export const HOST = 'bench.localhost';

const toMs = (v: string | undefined) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v ?? '');
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]!]!;
};

/**
 * wrk against `url` with `connections` kept-alive connections over 2 threads. A request not answered within 2 s is
 * counted in `late` (wrk's timeout); the open-files limit is raised for it to hold 1,000 connections.
 */
export async function wrk(url: string, connections: number, seconds: number): Promise<Figure> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '2s', '--latency', '-H', `Host: ${HOST}`, url];
  const { stdout: out } = await run('sh', ['-c', 'ulimit -n $(ulimit -Hn); exec wrk "$@"', 'wrk', ...args], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p99: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    max: toMs(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)?.[1]),
    late: Number(socket?.[4] ?? 0),
    errors: non2xx + (socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0),
  };
}

// Requests a second each URL did last time, to size the next run (see h2load).
const lastRate = new Map<string, number>();

/**
 * h2load: `connections` HTTP/2 connections with 10 streams each, for about `seconds`. By request count, not by time
 * (-D): at the end of a timed run h2load stops reading and waits for the server to close, which Node's http2 (the
 * router's, and a bare node:http2 server's) does not do while 1 MiB answers are under way, so the run never ends.
 * The count is what the URL did a second of the last run, times `seconds`.
 */
export async function h2load(url: string, connections: number, seconds: number): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-h2load-'));
  try {
    const log = join(dir, 'log.tsv');
    const count = Math.max(connections * 10, Math.round((lastRate.get(url) ?? 200) * seconds));
    const args = ['-n', String(count), `-c${connections}`, '-m10', '-t2', '--log-file', log, '-H', `:authority: ${HOST}`, url];
    const { stdout } = await run('h2load', args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: (seconds * 5 + 30) * 1000 });
    const times: number[] = [];
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const [, status, us] = line.split('\t');
      if (us && status !== '-1') times.push(Number(us) / 1000);
    }
    const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? 0);
    if (rps) lastRate.set(url, rps);
    const codes = /status codes: \d+ 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
    const errored = Number(/ (\d+) errored/.exec(stdout)?.[1] ?? 0);
    times.sort((a, b) => a - b);
    return {
      rps,
      p99: times.length ? times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! : NaN,
      max: times.at(-1) ?? NaN,
      late: 0, // 320 streams at once share 32 connections: seconds-long answers are the load, not a stall
      errors: errored + Number(codes?.[1] ?? 0) + Number(codes?.[2] ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** New TLS handshakes a second: openssl s_time, one client, a full handshake (and a GET /) per connection. */
export async function handshakes(port: number, seconds: number): Promise<Figure> {
  const { stdout } = await run('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-www', '/', '-time', String(seconds)], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: (seconds + 30) * 1000 });
  const m = /(\d+) connections in ([\d.]+) real seconds/.exec(stdout);
  return { rps: m ? Number(m[1]) / Number(m[2]) : 0, p99: NaN, max: NaN, late: 0, errors: 0 };
}
