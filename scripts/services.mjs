// The shared servers the add-on tests use: checked before the suite, started when installed but stopped.
import { execSync } from 'node:child_process';
import { connect } from 'node:net';

const SERVICES = [
  { name: 'PostgreSQL', port: 5432, pkg: 'postgresql', start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', env: 'MINICLOUD_POSTGRES_URL' },
  { name: 'MariaDB', port: 3306, pkg: 'mariadb-server', start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd', env: 'MINICLOUD_MARIADB_URL' },
  { name: 'Redis', port: 6379, pkg: 'redis-server', start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no", env: 'MINICLOUD_REDIS_ADDON_URL' },
  { name: 'RabbitMQ', port: 5672, pkg: 'rabbitmq-server', start: 'rabbitmq-server -detached', env: 'MINICLOUD_RABBITMQ_URL' },
];

const open = (port) => new Promise((resolve) => {
  const s = connect(port, '127.0.0.1');
  const done = (ok) => { s.destroy(); resolve(ok); };
  s.setTimeout(1000, () => done(false));
  s.on('connect', () => done(true));
  s.on('error', () => done(false));
});

async function waitOpen(port, ms) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await open(port)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Returns the services still missing after trying to start them (each with how to get it). */
export async function ensureServices() {
  const missing = [];
  for (const s of SERVICES) {
    if (await open(s.port)) continue;
    if (process.getuid?.() === 0) {
      try {
        console.log(`-----> Starting ${s.name}: ${s.start}`);
        execSync(s.start, { stdio: 'ignore', timeout: 60_000, shell: '/bin/sh' });
        if (await waitOpen(s.port, 30_000)) continue;
      } catch {
        // not installed, or it would not start: reported below
      }
    }
    missing.push(`${s.name} on 127.0.0.1:${s.port}: install it (Debian/Ubuntu: apt-get install ${s.pkg}) and start it (${s.start}), or point ${s.env} at one`);
  }
  return missing;
}
