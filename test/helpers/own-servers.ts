// Test helper: shared servers that require passwords (PostgreSQL, MariaDB, Redis, RabbitMQ), started by the test from the installed binaries.
// The machine's own servers are trust-authenticated and must not be changed; these run on free ports with their own data.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, until } from './net.ts';
import { pidIn, signalIf } from './proc.ts';

const exec = promisify(execFile);

export interface OwnServer {
  /** The admin URL, password included. */
  url: string;
  host: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

/** Initialized data dirs are kept here between runs (initdb and mariadb-install-db take seconds), copied per server. */
const CACHE = '/var/tmp/minicloud-test-servers';

/** A template made once: built aside and renamed into place, so parallel runs never see half of one. */
async function template(name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(CACHE, name);
  if (existsSync(dir)) return dir;
  mkdirSync(CACHE, { recursive: true, mode: 0o755 });
  const tmp = mkdtempSync(join(CACHE, `.${name}-`));
  await make(tmp);
  try { renameSync(tmp, dir); } catch { rmSync(tmp, { recursive: true, force: true }); } // another run won
  return dir;
}

function chownTree(dir: string, user: string): Promise<unknown> {
  return exec('chown', ['-R', `${user}:${user}`, dir]);
}

function daemon(cmd: string, args: string[], log: string): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr!.on('data', (d: Buffer) => { err += d; if (err.length > 20_000) err = err.slice(-10_000); });
  c.on('exit', (code) => { if (code) writeFileSync(log, err); });
  return c;
}

const stopChild = (c: ChildProcess) => new Promise<void>((resolve) => {
  if (c.exitCode !== null || c.signalCode) return resolve();
  c.once('exit', () => resolve());
  c.kill('SIGTERM');
});

const PG_BIN = () => {
  const v = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0];
  return `/usr/lib/postgresql/${v}/bin`;
};

/** A PostgreSQL cluster whose every connection needs a password (scram-sha-256), superuser `postgres`. */
export async function startOwnPostgres(): Promise<OwnServer> {
  const password = 'pg-' + randomBytes(8).toString('hex');
  const tpl = await template('postgres', async (dir) => {
    writeFileSync(join(dir, 'pw'), 'template'); // replaced at every start below
    await chownTree(dir, 'postgres');
    await exec('runuser', ['-u', 'postgres', '--', `${PG_BIN()}/initdb`, '-D', join(dir, 'data'), '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${join(dir, 'pw')}`, '-E', 'UTF8', '--no-sync']);
  });
  const root = mkdtempSync('/tmp/mc-own-pg-');
  cpSync(join(tpl, 'data'), join(root, 'data'), { recursive: true });
  await chownTree(root, 'postgres');
  const port = await freePort();
  // The superuser's password, set in single-user mode before the server listens.
  await new Promise<void>((resolve, reject) => {
    const c = spawn('runuser', ['-u', 'postgres', '--', `${PG_BIN()}/postgres`, '--single', '-D', join(root, 'data'), 'postgres'], { stdio: ['pipe', 'ignore', 'pipe'] });
    c.stdin!.end(`ALTER ROLE postgres PASSWORD '${password}';\n`);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`postgres --single exited ${code}`))));
  });
  const c = daemon('runuser', ['-u', 'postgres', '--', `${PG_BIN()}/postgres`, '-D', join(root, 'data'), '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], join(root, 'error.log'));
  await until('the test PostgreSQL to accept connections', () => exec(`${PG_BIN()}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port)]).then(() => true, () => undefined));
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, host: '127.0.0.1', port, password,
    stop: async () => { await stopChild(c); rmSync(root, { recursive: true, force: true }); },
  };
}

/** A MariaDB server whose root needs a password, over TCP and its own socket alike. */
export async function startOwnMariadb(): Promise<OwnServer> {
  const password = 'my-' + randomBytes(8).toString('hex');
  const tpl = await template('mariadb', async (dir) => {
    await chownTree(dir, 'mysql');
    await exec('mariadb-install-db', ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--user=mysql', '--auth-root-authentication-method=normal', '--skip-test-db']);
  });
  const root = mkdtempSync('/tmp/mc-own-my-');
  cpSync(join(tpl, 'data'), join(root, 'data'), { recursive: true });
  const others = ['::1', hostname().toLowerCase(), '%'].map((h) => `'root'@'${h}'`).join(', ');
  writeFileSync(join(root, 'init.sql'), [
    `DROP USER IF EXISTS ${others}, ''@'localhost', ''@'${hostname().toLowerCase()}';`,
    `ALTER USER 'root'@'localhost' IDENTIFIED BY '${password}';`,
    `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';`,
    `ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '${password}';`,
    `GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`,
    'FLUSH PRIVILEGES;',
  ].join('\n'));
  await chownTree(root, 'mysql');
  const port = await freePort();
  const c = daemon('mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${join(root, 'data')}`, `--socket=${join(root, 'sock')}`, `--port=${port}`,
    '--bind-address=127.0.0.1', `--pid-file=${join(root, 'pid')}`, `--init-file=${join(root, 'init.sql')}`, '--skip-log-bin',
    '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--performance-schema=off', '--skip-name-resolve'], join(root, 'error.log'));
  await until('the test MariaDB to accept its root password', () => exec('mariadb', ['-h127.0.0.1', `-P${port}`, '-uroot', `-p${password}`, '-e', 'SELECT 1']).then(() => true, () => undefined));
  return {
    url: `mysql://root:${password}@127.0.0.1:${port}`, host: '127.0.0.1', port, password,
    stop: async () => { await stopChild(c); rmSync(root, { recursive: true, force: true }); },
  };
}

/** A Redis whose default user needs a password. */
export async function startOwnRedis(): Promise<OwnServer> {
  const password = 'rd-' + randomBytes(8).toString('hex');
  const root = mkdtempSync('/tmp/mc-own-rd-');
  const port = await freePort();
  const c = daemon('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root, '--requirepass', password], join(root, 'error.log'));
  await until('the test Redis to answer', () => exec('redis-cli', ['-p', String(port), '--no-auth-warning', '-a', password, 'PING']).then((r) => (r.stdout.includes('PONG') ? true : undefined), () => undefined));
  return {
    url: `redis://default:${password}@127.0.0.1:${port}`, host: '127.0.0.1', port, password,
    stop: async () => { await stopChild(c); rmSync(root, { recursive: true, force: true }); },
  };
}

/**
 * A RabbitMQ node of its own (beside the machine's, sharing its epmd) with the management API, whose only user
 * is `admin` with a password: no `guest`. About 7 s to start. `url` is the AMQP admin URL; `managementUrl` the API's.
 */
export async function startOwnRabbitmq(): Promise<OwnServer & { managementUrl: string }> {
  const password = 'rq-' + randomBytes(8).toString('hex');
  const root = mkdtempSync('/tmp/mc-own-rq-');
  chmodSync(root, 0o755);
  const [port, mport, dist] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(root, 'rabbitmq.conf'), [
    `listeners.tcp.default = 127.0.0.1:${port}`, `management.tcp.ip = 127.0.0.1`, `management.tcp.port = ${mport}`,
    'default_user = admin', `default_pass = ${password}`, 'default_user_tags.administrator = true', '',
  ].join('\n'));
  writeFileSync(join(root, 'enabled_plugins'), '[rabbitmq_management].\n');
  await chownTree(root, 'rabbitmq');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/var/lib/rabbitmq', // the Erlang cookie of the rabbitmq user
    RABBITMQ_NODENAME: `mcown-${randomBytes(4).toString('hex')}@localhost`, RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_CONFIG_FILE: join(root, 'rabbitmq.conf'), RABBITMQ_ENABLED_PLUGINS_FILE: join(root, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(root, 'mnesia'), RABBITMQ_LOG_BASE: join(root, 'log'), RABBITMQ_PID_FILE: join(root, 'pid'), ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const c = spawn('runuser', ['-u', 'rabbitmq', '--', '/usr/lib/rabbitmq/bin/rabbitmq-server'], { env, stdio: 'ignore' });
  const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  await until('the test RabbitMQ to answer its admin', () => fetch(`http://127.0.0.1:${mport}/api/overview`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) })
    .then((r) => (r.status === 200 ? true : undefined), () => undefined), 60_000);
  return {
    url: `amqp://admin:${password}@127.0.0.1:${port}`, managementUrl: `http://admin:${password}@127.0.0.1:${mport}`, host: '127.0.0.1', port, password,
    stop: async () => {
      signalIf(pidIn(join(root, 'pid')), 'SIGTERM', /beam|rabbit/);
      await stopChild(c);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
