// Picking a free local TCP port for a new instance.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether nothing listens on `port` now (a port picked earlier may have been taken meanwhile). */
export function isFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * The ports an instance may get: below the kernel's ephemeral range. A port the kernel hands out for `listen(0)` is
 * also one it hands to outgoing connections as their local port, and an instance's port is picked before the app
 * binds it (seconds before, when it is readied during the build): an outgoing connection taking it meanwhile made
 * the app's listen fail with EADDRINUSE. Nothing outgoing is given a port below the range.
 */
export function instancePortRange(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  let low = 32768;
  try {
    const first = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 1024) low = first;
  } catch {
    // not Linux: the usual default
  }
  return low > 12_000 ? [10_000, low - 1] : [1025, low - 1];
}

let range: [number, number] | undefined;

/** A port nothing listens on, drawn at random below the ephemeral range (the kernel's own pick after 20 tries). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [lo, hi] = (range ??= instancePortRange());
  for (let i = 0; i < 20; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (await isFree(port, host)) return port;
  }
  return kernelPort(host);
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
