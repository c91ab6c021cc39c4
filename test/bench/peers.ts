// The servers the router bench measures minicloud against: nginx, HAProxy and Caddy from Debian, each in front of the
// same app with the same number of workers as minicloud's router, keep-alive connections to the app, TLS with the same
// certificate (HTTP/2 offered by ALPN), access logs off, and each serving plain HTTP and HTTPS on two ports at once.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedCert } from '../../src/certs/index.ts';
import { freePort } from '../helpers/net.ts';

export interface Server {
  name: string;
  version: string;
  port: number;
  tlsPort: number;
  stop(): Promise<void>;
}

export interface PeerOptions {
  upstream: number;
  workers: number;
  cert: IssuedCert;
}

/** Installs `pkg` from Debian when `cmd` is missing (as root; else says what to install). */
export function need(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`${cmd} is needed: apt-get install ${pkg}`);
  console.log(`-----> Installing ${pkg} (apt-get)`);
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export function needPeers(): void {
  need('nginx', 'nginx-light');
  need('haproxy', 'haproxy');
  need('caddy', 'caddy');
}

function version(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
}

/** Starts `cmd` and waits until both ports accept connections (10 s at most). */
async function launch(name: string, cmd: string, args: string[], ports: number[], env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  let said = '';
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  child.stderr!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-2000)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${said}`);
    if ((await Promise.all(ports.map(accepts))).every(Boolean)) return child;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${name} did not listen within 10 s: ${said}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

function stopper(child: ChildProcess, dir: string, signal: NodeJS.Signals = 'SIGTERM'): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

function certFiles(dir: string, cert: IssuedCert): { crt: string; key: string; both: string } {
  const f = { crt: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), both: join(dir, 'both.pem') };
  writeFileSync(f.crt, cert.certPem);
  writeFileSync(f.key, cert.keyPem, { mode: 0o600 });
  writeFileSync(f.both, `${cert.certPem.trim()}\n${cert.keyPem.trim()}\n`, { mode: 0o600 });
  return f;
}

export async function startNginx(o: PeerOptions): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-nginx-'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const c = certFiles(dir, o.cert);
  // Debian's defaults but for the workers, the log and the temp paths; keepalive_requests raised so that nginx, like
  // minicloud, does not close a client or upstream connection every 1,000 requests.
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes ${o.workers};
worker_rlimit_nofile 16384;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${o.upstream}; keepalive 64; keepalive_requests 1000000; }
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:SSL:10m;
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${tlsPort} ssl http2;
    ssl_certificate ${c.crt};
    ssl_certificate_key ${c.key};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}`);
  const child = await launch('nginx', 'nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], [port, tlsPort]).catch((e: Error) => { rmSync(dir, { recursive: true, force: true }); throw e; });
  return { name: 'nginx', version: version('nginx', ['-v'], /nginx\/(\S+)/), port, tlsPort, stop: stopper(child, dir, 'SIGQUIT') };
}

export async function startHaproxy(o: PeerOptions): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-haproxy-'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const c = certFiles(dir, o.cert);
  // HAProxy 2.6 runs threads, not processes: nbthread is its worker count. Keep-alive to the app is its default
  // (http-reuse safe); forwardfor adds X-Forwarded-For as the others do.
  writeFileSync(join(dir, 'haproxy.cfg'), `
global
  nbthread ${o.workers}
  maxconn 8000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option forwardfor
frontend plain
  bind 127.0.0.1:${port}
  default_backend app
frontend tls
  bind 127.0.0.1:${tlsPort} ssl crt ${c.both} alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend app
backend app
  http-reuse safe
  server app 127.0.0.1:${o.upstream} maxconn 1000
`);
  const child = await launch('haproxy', 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], [port, tlsPort]).catch((e: Error) => { rmSync(dir, { recursive: true, force: true }); throw e; });
  return { name: 'HAProxy', version: version('haproxy', ['-v'], /version (\d+\.\d+\.\d+)/), port, tlsPort, stop: stopper(child, dir, 'SIGUSR1') };
}

export async function startCaddy(o: PeerOptions): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-caddy-'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  const c = certFiles(dir, o.cert);
  // Go has no worker processes: GOMAXPROCS is how many threads run Go code at once, its nearest equivalent. Its
  // reverse_proxy keeps connections to the app alive by default and adds X-Forwarded-For/-Proto; no HTTP/3 (wrk and
  // h2load speak TCP only), no admin endpoint, no automatic HTTPS (the certificate is given).
  writeFileSync(join(dir, 'Caddyfile'), `{
  admin off
  auto_https off
  storage file_system ${dir}/data
  servers {
    protocols h1 h2
  }
}
http://:${port} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${o.upstream}
}
https://:${tlsPort} {
  bind 127.0.0.1
  tls ${c.crt} ${c.key}
  reverse_proxy 127.0.0.1:${o.upstream}
}
`);
  const env = { ...process.env, GOMAXPROCS: String(o.workers), HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const child = await launch('caddy', 'caddy', ['run', '--adapter', 'caddyfile', '--config', join(dir, 'Caddyfile')], [port, tlsPort], env).catch((e: Error) => { rmSync(dir, { recursive: true, force: true }); throw e; });
  return { name: 'Caddy', version: version('caddy', ['version'], /v?(\d+\.\d+\.\d+)/), port, tlsPort, stop: stopper(child, dir) };
}
