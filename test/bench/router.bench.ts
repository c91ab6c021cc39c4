// Benchmark: the app directly, minicloud's router and nginx in front of the same app, with wrk on loopback.
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRouterDaemon } from '../helpers/router-daemon.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { freePort } from '../helpers/net.ts';

const run = promisify(execFile);
const DURATION = process.env.BENCH_SECONDS ?? '5';
const CONNECTIONS = '32';

export function need(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`${cmd} is needed: apt-get install ${pkg}`);
  console.log(`-----> Installing ${pkg} (apt-get)`);
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit' });
}

// The app runs in its own process, as in production, so it does not share a core with the router.
const APP = `const http = require('node:http');
const small = Buffer.from('hello from the app\\n'), large = Buffer.alloc(1024 * 1024, 'x');
const s = http.createServer((req, res) => {
  const body = req.url === '/large' ? large : small;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
s.keepAliveTimeout = 60000;
s.listen(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'));`;

export async function app(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', APP, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child;
}

/**
 * nginx in front of the app on 127.0.0.1:`upstream`, with `workers` worker processes and keep-alive upstream
 * connections, its config and temp files in `dir`; `listen` and `extra` say how it serves (plain, or TLS and h2).
 */
export async function startNginx(dir: string, o: { port: number; upstream: number; workers: number; listen?: string; extra?: string; proto?: string }): Promise<ChildProcess> {
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes ${o.workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${o.upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${o.port}${o.listen ?? ''};${o.extra ?? ''}
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;${o.proto ? `
      proxy_set_header X-Forwarded-Proto ${o.proto};` : ''}
    }
  }
}`);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

function nginx(port: number, upstream: number, workers: number): Promise<ChildProcess> {
  return startNginx(mkdtempSync(join(tmpdir(), 'mc-nginx-')), { port, upstream, workers });
}

interface Result { rps: number; p50: string; p99: string; p99ms: number }

const toMs = (v: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
};

async function wrk(port: number, path: string): Promise<Result> {
  const { stdout: out } = await run('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', '-H', 'Host: bench.localhost', `http://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '?';
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '?';
  return { rps, p50, p99, p99ms: toMs(p99) };
}

/**
 * The app alone, then minicloud's router and nginx in front of it with the same number of worker
 * processes: 1, and one per core. The router runs as minicloud runs it: the router daemon with
 * MINICLOUD_ROUTER_WORKERS=N worker processes, so it never shares a process with wrk's driver.
 */
export async function routerBench(): Promise<void> {
  need('wrk', 'wrk');
  need('nginx', 'nginx-light');
  const appPort = await freePort();
  const upstream = await app(appPort);
  const table = new RouteTable([{ app: 'bench', hosts: ['bench.localhost'], upstreams: [{ host: '127.0.0.1', port: appPort }], state: 'running' }]);
  const counts = [...new Set([1, availableParallelism()])];
  const rows: Array<[string, string, Result, Result | null]> = [];
  try {
    for (const [size, path] of [['small', '/'], ['1 MB', '/large']] as const) rows.push([size, 'app directly', await wrk(appPort, path), null]);
    for (const n of counts) {
      const router = await startRouterDaemon({ workers: n, routes: table.routes() });
      const nginxPort = await freePort();
      const ng = await nginx(nginxPort, appPort, n);
      try {
        for (const [size, path] of [['small', '/'], ['1 MB', '/large']] as const) {
          const ours = await wrk(router.port, path);
          const theirs = await wrk(nginxPort, path);
          rows.push([size, `minicloud router (${n} worker${n > 1 ? 's' : ''})`, ours, theirs]);
          rows.push([size, `nginx (${n} worker${n > 1 ? 's' : ''}, keep-alive upstream)`, theirs, null]);
        }
      } finally {
        ng.kill('SIGQUIT');
        await router.stop();
      }
    }
  } finally {
    upstream.kill();
  }
  console.log(`\nRouter throughput: wrk -t2 -c${CONNECTIONS} -d${DURATION}s on loopback, keep-alive, ${availableParallelism()} cores`);
  console.log(`  ${'response'.padEnd(8)}  ${'target'.padEnd(40)}  ${'req/s'.padStart(8)}  ${'p50'.padStart(9)}  ${'p99'.padStart(9)}  vs nginx (req/s, p99)`);
  const order = (r: [string, string, Result, Result | null]) => (r[0] === 'small' ? 0 : 1);
  for (const [size, name, r, nginxSame] of [...rows].sort((a, b) => order(a) - order(b))) {
    const vs = nginxSame ? `${((r.rps / nginxSame.rps) * 100).toFixed(0)}%, ${(r.p99ms / nginxSame.p99ms).toFixed(1)}x` : '';
    console.log(`  ${size.padEnd(8)}  ${name.padEnd(40)}  ${r.rps.toFixed(0).padStart(8)}  ${r.p50.padStart(9)}  ${r.p99.padStart(9)}  ${vs}`);
  }
}
