// A private redis-server for minicloud when REDIS_URL is unset: on a unix socket under the data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { UserError, type Logger } from '../core/index.ts';

export interface LocalRedis { url: string; stop(): Promise<void> }

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket);
    const done = (ok: boolean) => { c.destroy(); resolve(ok); };
    c.setTimeout(1000, () => done(false));
    c.on('error', () => done(false));
    c.on('data', (d) => done(d.toString().startsWith('+PONG')));
    c.write('PING\r\n');
  });
}

export async function startLocalRedis(dir: string, log: Logger): Promise<LocalRedis> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'redis.sock');
  const url = `unix://${socket}`;
  // One left running by an earlier minicloud that was killed: keep using it.
  if (existsSync(socket) && (await ping(socket))) {
    log.info(`reusing the private redis-server at ${socket}`);
    return { url, stop: async () => {} };
  }
  rmSync(socket, { force: true });
  const child: ChildProcess = spawn('redis-server', [
    '--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir,
    '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', join(dir, 'redis.log'),
  ], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT'
      ? new UserError('redis-server was not found on PATH', 'install Redis (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL=redis://host:6379')
      : e));
    child.on('exit', (code) => reject(new UserError(`redis-server exited with code ${code}`, `see ${join(dir, 'redis.log')}, or set REDIS_URL`)));
  });
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (existsSync(socket) && (await ping(socket))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new UserError('redis-server did not start within 5 s', `see ${join(dir, 'redis.log')}, or set REDIS_URL`);
  })();
  await Promise.race([ready, failed]);
  failed.catch(() => {}); // later exits are not start-up failures
  log.info(`started a private redis-server (data in ${dir}); set REDIS_URL to use your own`);
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
