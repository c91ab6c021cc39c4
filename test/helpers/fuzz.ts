// Test helpers for fuzzing servers over raw sockets: a seeded generator, byte mutations, a bounded blast, and a process's file descriptors and memory.
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
export class Rng {
  constructor(private s: number) {}

  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// Bytes that matter to HTTP framing, favoured over uniform random ones.
const SPECIAL = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x2c, 0x3b, 0x30, 0x66, 0x7f, 0xff, 0x80, 0x2d, 0x5f];
const TOKENS = ['\r\n', '\n', '\r', '\r\n\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 5\r\n', 'Content-Length: 99999999\r\n', 'Host: x\r\n', 'Connection: close\r\n', 'Expect: 100-continue\r\n', 'Upgrade: websocket\r\nConnection: Upgrade\r\n', '0\r\n\r\n', 'ffffffff\r\n', 'GET / HTTP/1.1\r\n', ' ', '\t', ':', ',', '"', '{', '[', '__proto__', '%00', '../'];

/** One to four random edits of `base`: byte flips and inserts, deletions, duplicated or repeated runs, framing tokens, a cut. */
export function mutate(rng: Rng, base: Buffer): Buffer {
  let b = base;
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const at = rng.int(b.length + 1);
    switch (rng.int(7)) {
      case 0: { // flip a byte
        if (!b.length) break;
        const c = Buffer.from(b);
        c[Math.min(at, c.length - 1)] = rng.next() < 0.6 ? rng.pick(SPECIAL) : rng.int(256);
        b = c;
        break;
      }
      case 1: // insert a special byte
        b = Buffer.concat([b.subarray(0, at), Buffer.from([rng.pick(SPECIAL)]), b.subarray(at)]);
        break;
      case 2: { // delete a run
        const len = 1 + rng.int(16);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 3: { // repeat a short run many times (long headers, runs of spaces)
        const run = b.subarray(at, at + 1 + rng.int(4));
        const times = rng.pick([2, 10, 100, 1000, 5000]);
        b = Buffer.concat([b.subarray(0, at), ...Array<Buffer>(times).fill(run), b.subarray(at)]);
        break;
      }
      case 4: // insert a framing token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(TOKENS), 'latin1'), b.subarray(at)]);
        break;
      case 5: // cut the rest
        b = b.subarray(0, at);
        break;
      case 6: { // duplicate a line
        const text = b.toString('latin1');
        const lines = text.split('\r\n');
        const i = rng.int(lines.length);
        lines.splice(i, 0, lines[i]!);
        b = Buffer.from(lines.join('\r\n'), 'latin1');
        break;
      }
    }
  }
  return b;
}

/** Random bytes, mostly printable, with framing bytes mixed in. */
export function noise(rng: Rng, max = 512): Buffer {
  const b = Buffer.alloc(rng.int(max));
  for (let i = 0; i < b.length; i++) b[i] = rng.next() < 0.2 ? rng.pick(SPECIAL) : 0x20 + rng.int(95);
  return b;
}

export interface BlastResult {
  sent: number;
  /** Answers by status (0: the connection closed or timed out without one). */
  statuses: Record<number, number>;
}

/**
 * Sends `payloads` over their own connections, `concurrency` at a time, each in 1 to 3 pieces;
 * reads what comes back until the server closes or `waitMs` passes, then closes. Stops after
 * `count` payloads or `budgetMs`, whichever comes first. `localAddress` (e.g. 127.0.0.2) sends from
 * another loopback address than the checks that follow, which a per-address limit must not lock out.
 */
export async function blast(port: number, rng: Rng, next: () => Buffer, o: { count: number; budgetMs: number; concurrency?: number; waitMs?: number; localAddress?: string }): Promise<BlastResult> {
  const result: BlastResult = { sent: 0, statuses: {} };
  const deadline = performance.now() + o.budgetMs;
  const one = (payload: Buffer, cuts: number[]) => new Promise<void>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: o.localAddress });
    let text = '';
    let timer: NodeJS.Timeout | null = null;
    const done = () => {
      if (timer) clearTimeout(timer);
      s.destroy();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      resolve();
    };
    s.on('data', (d: Buffer) => (text += d.toString('latin1', 0, Math.min(d.length, 64))));
    s.on('error', () => {});
    s.on('close', done);
    s.on('connect', async () => {
      let from = 0;
      for (const cut of [...cuts, payload.length]) {
        if (s.destroyed) break;
        s.write(payload.subarray(from, cut));
        from = cut;
        await new Promise((r) => setImmediate(r));
      }
      timer = setTimeout(done, o.waitMs ?? 150);
    });
  });
  const worker = async () => {
    while (result.sent < o.count && performance.now() < deadline) {
      result.sent++;
      const payload = next();
      const cuts = Array.from({ length: rng.int(3) }, () => rng.int(payload.length + 1)).sort((a, b) => a - b);
      await one(payload, cuts);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 24 }, worker));
  return result;
}

/** A process's open file descriptors and resident memory (MB), from /proc. */
export function procStats(pid: number): { fds: number; rssMb: number } {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMb: Math.round(rss / 1024) };
}

/** Requests of every shape the router serves, to mutate: Host `host`. */
export function routerSeeds(host: string): Buffer[] {
  const H = `Host: ${host}\r\n`;
  return [
    `GET / HTTP/1.1\r\n${H}\r\n`,
    `GET /a/b?c=d HTTP/1.1\r\n${H}Accept: */*\r\nCookie: a=b; c=d\r\nX-Request-Id: abc\r\n\r\n`,
    `HEAD / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
    `POST /up HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`,
    `POST /up HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `PUT /up HTTP/1.1\r\n${H}Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello`,
    `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    `GET http://${host}/x HTTP/1.1\r\n${H}\r\n`,
    `GET / HTTP/1.0\r\n${H}\r\n`,
    `GET / HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nPOST /3 HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nx`,
    `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    `GET /.well-known/acme-challenge/x HTTP/1.1\r\n${H}\r\n`,
    `GET / HTTP/1.1\r\nHost: nobody.localhost\r\n\r\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
}
