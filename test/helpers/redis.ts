// A private redis-server per test file: a free TCP port on 127.0.0.1, no persistence, its own temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}


/** True once something on the port answers PING with +PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { c.destroy(); resolve(ok); };
    c.setTimeout(1000, () => done(false));
    c.on('error', () => done(false));
    c.on('data', (d) => done(d.toString().startsWith('+PONG')));
    c.on('connect', () => c.write('PING\r\n'));
  });
}

// redis-server runs under a small sh watchdog holding a pipe from this process: when the pipe closes (stop(),
// or this test process dies in any way, even SIGKILL), the watchdog kills redis-server, so none is left behind.
// (sh gives background jobs /dev/null as stdin, hence the pipe on fd 3.)
const WATCHDOG = 'exec 3<&0; redis-server "$@" 3<&- & r=$!; (read _ <&3; kill -9 $r 2>/dev/null) & exec 3<&-; wait $r';

async function tryStart(dir: string, fixedPort?: number): Promise<{ child: ChildProcess; port: number } | null> {
  const port = fixedPort ?? (await freePort());
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'redis-watchdog',
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--daemonize', 'no', '--loglevel', 'warning',
  ], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.on('error', () => {}); // the watchdog may be gone already
  let exited = false;
  let spawnError: Error | null = null;
  child.on('exit', (code) => {
    exited = true;
    child.stdin?.destroy();
    if (code === 127) spawnError = new Error('redis-server is not on PATH (Debian/Ubuntu: apt-get install redis-server)');
  });
  child.on('error', (e) => { spawnError = e; });
  for (let i = 0; i < 250; i++) {
    if (spawnError) throw new Error(`could not run redis-server: ${(spawnError as Error).message}`);
    if (exited) return null; // redis-server exited: most likely the port was taken in between; try another
    if (await ping(port)) return { child, port };
    await new Promise((r) => setTimeout(r, 20));
  }
  child.stdin?.end();
  throw new Error(`redis-server did not answer PING on port ${port} within 5 s (is redis-server installed?)`);
}

/** `port`: on that port (a Redis that comes back empty where the last one was); else a free one. */
export async function startRedis(onPort?: number): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-redis-'));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const started = await tryStart(dir, onPort);
      if (!started) continue;
      const { child, port } = started;
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => new Promise<void>((resolve) => {
          const done = () => { rmSync(dir, { recursive: true, force: true }); resolve(); };
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', done);
          child.stdin?.end(); // the watchdog kills redis-server, then exits
        }),
      };
    }
    throw new Error('redis-server exited at start five times (ports taken?)');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Every key of the Redis at `url` with its value, as text: what a test searches for a secret. */
export async function redisContents(url: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await r.type(key);
        const value =
          type === 'string' ? await r.get(key)
            : type === 'hash' ? await r.hgetall(key)
              : type === 'list' ? await r.lrange(key, 0, -1)
                : type === 'set' ? await r.smembers(key)
                  : type === 'zset' ? await r.zrange(key, 0, -1)
                    : type === 'stream' ? await r.xrange(key, '-', '+')
                      : null;
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
    return out.join('\n');
  } finally {
    r.disconnect();
  }
}
