// Streaming log events to an HTTP client as NDJSON, as they happen.
import type { Request, Response } from 'express';
import type { LogEvent } from '../core/index.ts';
import { keepOpen } from './limits.ts';

export async function streamEvents(_req: Request, res: Response, events: (signal: AbortSignal) => AsyncIterable<LogEvent>, headers: Record<string, string> = {}): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  keepOpen(res);
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', ...headers });
  res.flushHeaders();
  for await (const e of events(abort.signal)) {
    if (abort.signal.aborted) break;
    res.write(JSON.stringify(e) + '\n');
  }
  res.end();
}

/** Wraps plain lines (app output) as log events. */
export async function* asLineEvents(lines: AsyncIterable<string>): AsyncGenerator<LogEvent> {
  let seq = 0;
  for await (const text of lines) yield { type: 'line', seq: ++seq, time: new Date().toISOString(), text };
}
