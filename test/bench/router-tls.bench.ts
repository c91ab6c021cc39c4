// Benchmark: the router over HTTPS beside nginx (TLS, h2 on) in front of the same app: HTTPS keep-alive (wrk), HTTP/2
// (h2load: 32 connections, 10 streams each) and TLS handshakes a second, new and resumed (openssl s_time), each pair
// in turn at 1 worker and one per core.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SelfSignedIssuer, type IssuedCert } from '../../src/certs/index.ts';
import { freePort } from '../helpers/net.ts';
import { startRouterDaemon } from '../helpers/router-daemon.ts';
import { app, need, startNginx } from './router.bench.ts';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const HOST = 'bench.localhost';

function nginxTls(port: number, upstream: number, workers: number, cert: IssuedCert): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-nginx-tls-'));
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const extra = `
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;`;
  return startNginx(dir, { port, upstream, workers, listen: ' ssl http2', extra, proto: 'https' });
}

interface Figure { rps: number; latency: string }

async function wrkTls(port: number, path: string): Promise<Figure> {
  const { stdout } = await run('wrk', ['-t2', '-c32', `-d${SECONDS}s`, '--latency', '-H', `Host: ${HOST}`, `https://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), latency: `p99 ${/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? '?'}` };
}

async function h2load(port: number, path: string): Promise<Figure> {
  const { stdout } = await run('h2load', ['-D', String(SECONDS), '--warm-up-time=1', '-c32', '-m10', '-t2', '-H', `:authority: ${HOST}`, `https://127.0.0.1:${port}${path}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const failed = Number(/requests: .* (\d+) failed/.exec(stdout)?.[1] ?? 0);
  // -D: requests still under way when the time is up count as failed; errors would show as non-2xx or errored.
  void failed;
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  return { rps: Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? 0), latency: `mean ${mean}` };
}

/**
 * TLS handshakes a second (openssl s_time, real time, fetching / each time so a TLS 1.3 ticket is read): full ones
 * (`-new`), or resuming the first connection's session (`-reuse`; s_time prints an `r` for each resumed one).
 */
async function handshakes(port: number, mode: '-new' | '-reuse'): Promise<Figure> {
  const { stdout } = await run('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, mode, '-www', '/', '-time', String(SECONDS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const m = /(\d+) connections in ([\d.]+) real seconds/.exec(stdout);
  const total = m ? Number(m[1]) : 0;
  const resumed = (stdout.split(/connections in/)[0]!.match(/r/g) ?? []).length;
  return { rps: m ? total / Number(m[2]) : 0, latency: mode === '-reuse' ? `${total ? Math.round((resumed / total) * 100) : 0}% resumed` : '' };
}

type Row = [string, string, Figure, Figure];

export async function routerTlsBench(): Promise<void> {
  need('wrk', 'wrk');
  need('nginx', 'nginx-light');
  need('h2load', 'nghttp2-client');
  const cert = await new SelfSignedIssuer().issue(HOST);
  const appPort = await freePort();
  const upstream = await app(appPort);
  const routes = [{ app: 'bench', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: appPort }], state: 'running' as const }];
  const rows: Row[] = [];
  try {
    for (const n of [...new Set([1, availableParallelism()])]) {
      const router = await startRouterDaemon({ workers: n, routes, certs: { fallback: cert, names: { [HOST]: cert } }, settings: { httpsPort: await freePort() } });
      const nginxPort = await freePort();
      const ng = await nginxTls(nginxPort, appPort, n, cert);
      const ours = router.status.settings.httpsPort!;
      const w = `${n} worker${n > 1 ? 's' : ''}`;
      try {
        for (const [size, path] of [['small', '/'], ['1 MB', '/large']] as const) {
          rows.push([`HTTPS keep-alive, ${size}`, w, await wrkTls(ours, path), await wrkTls(nginxPort, path)]);
          rows.push([`HTTP/2, ${size}`, w, await h2load(ours, path), await h2load(nginxPort, path)]);
        }
        rows.push(['TLS handshakes, new', w, await handshakes(ours, '-new'), await handshakes(nginxPort, '-new')]);
        rows.push(['TLS handshakes, resumed', w, await handshakes(ours, '-reuse'), await handshakes(nginxPort, '-reuse')]);
      } finally {
        ng.kill('SIGQUIT');
        await router.stop();
      }
    }
  } finally {
    upstream.kill();
  }
  print(rows);
}

function print(rows: Row[]): void {
  console.log(`\nRouter over TLS against nginx (TLS, http2): ${SECONDS} s a row on loopback, ${availableParallelism()} cores`);
  console.log('  HTTPS: wrk -t2 -c32; HTTP/2: h2load -c32 -m10 -t2; handshakes: openssl s_time (a second, one client)');
  console.log(`  ${'case'.padEnd(26)}  ${'workers'.padEnd(9)}  ${'minicloud'.padStart(10)}  ${''.padEnd(14)}  ${'nginx'.padStart(10)}  ${''.padEnd(14)}  ratio`);
  for (const [what, w, ours, theirs] of rows) {
    const ratio = theirs.rps ? `${((ours.rps / theirs.rps) * 100).toFixed(0)}%` : '-';
    console.log(`  ${what.padEnd(26)}  ${w.padEnd(9)}  ${ours.rps.toFixed(0).padStart(10)}  ${ours.latency.padEnd(14)}  ${theirs.rps.toFixed(0).padStart(10)}  ${theirs.latency.padEnd(14)}  ${ratio}`);
  }
}
