// A Docker console: a one-off container made with a TTY, attached with stdin before it starts; its exit code from wait.
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { ConsoleOptions } from './runtime.ts';

export async function dockerConsole(container: Dockerode.Container, o: ConsoleOptions): Promise<number> {
  // With a TTY the engine sends the terminal's bytes as they are (no stdout/stderr frames to split).
  const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
  stream.on('data', (b: Buffer) => o.output(b));
  stream.on('error', () => { /* the container went: wait() says how */ });
  // Hung up on: the container goes, and everything in it (its init is PID 1).
  const kill = () => void container.kill().catch(() => {});
  o.signal.addEventListener('abort', kill, { once: true });
  try {
    await container.start();
    if (o.signal.aborted) kill();
    const resize = (cols: number, rows: number) => container.resize({ h: rows, w: cols }).catch(() => { /* ended meanwhile */ });
    // The client's size before its first keystroke: a line typed meanwhile would run in a 0×0 terminal (`stty size`
    // said 0 0). The engine takes no size at creation (ConsoleSize is ignored), so the input waits for this.
    await resize(o.cols, o.rows);
    o.ready({ write: (d) => { if (!stream.destroyed) stream.write(d); }, resize: (c, r) => void resize(c, r), pause: () => stream.pause(), resume: () => stream.resume() });
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    // What it printed last is still on its way: the stream ends once the engine has sent it.
    await new Promise<void>((r) => { if (stream.readableEnded || stream.destroyed) r(); else { stream.once('end', r); stream.once('close', r); setTimeout(r, 2000).unref(); } });
    return StatusCode;
  } finally {
    o.signal.removeEventListener('abort', kill);
    stream.destroy();
  }
}
