// A service's output, read through the manager from whichever node runs its task: followed into the app's log file,
// or, for a one-off run, handed over by line. Swarm's followed service logs never end (not even when the task has),
// so output is followed live and, once the task has ended, completed from the whole log read again (the part the
// live stream had not delivered yet: nothing lost, nothing twice).
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { LineSplitter } from '../core/index.ts';

/** Copies the service's output (from `since`, seconds) to `write` until the signal aborts. */
export function followService(docker: Dockerode, service: string, since: number, write: (chunk: Buffer) => void, signal: AbortSignal): void {
  void docker.getService(service)
    .logs({ follow: true, stdout: true, stderr: true, since, abortSignal: signal } as Dockerode.ContainerLogsOptions)
    .then((stream) => {
      const out = new PassThrough();
      out.on('data', write);
      docker.modem.demuxStream(stream, out, out);
      stream.on('end', () => out.end());
      stream.on('error', () => out.end());
    })
    .catch(() => {}); // the service went away before its logs could be followed; its end still reports
}

/** The multiplexed log format's frames (8-byte header: stream, 0, 0, 0, size) as one buffer of their payloads. */
export function demux(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

/** The service's whole output so far (from `since`, seconds), its frames joined. */
export async function wholeLog(docker: Dockerode, service: string, since = 0, signal?: AbortSignal): Promise<Buffer> {
  const data: unknown = await docker.getService(service).logs({ follow: false, stdout: true, stderr: true, since, ...(signal && { abortSignal: signal }) } as Dockerode.ContainerLogsOptions);
  return demux(Buffer.isBuffer(data) ? data : Buffer.from(String(data), 'binary'));
}

/**
 * A run's output by line: live while `ended` is pending, then the lines the live stream had not delivered yet (the
 * whole log split the same way, the ones already given skipped), so none is lost or given twice.
 */
export async function runOutput(docker: Dockerode, service: string, onLine: (line: string) => void, ended: Promise<unknown>): Promise<void> {
  let given = 0;
  const live = new LineSplitter((l) => { given++; onLine(l); });
  const ac = new AbortController();
  const utf8 = new StringDecoder('utf8'); // a character split between chunks stays whole
  followService(docker, service, 0, (chunk) => live.push(utf8.write(chunk)), ac.signal);
  try {
    await ended;
  } finally {
    ac.abort(); // its unfinished last line is read again below
  }
  let seen = 0;
  const rest = new LineSplitter((l) => { if (seen++ >= given) onLine(l); });
  rest.push((await wholeLog(docker, service)).toString('utf8'));
  rest.end();
}
