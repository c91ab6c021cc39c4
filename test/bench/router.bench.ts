// Benchmark: minicloud's router beside nginx, HAProxy and Caddy, each in front of the same app, in interleaved rounds:
// plain HTTP and HTTPS keep-alive (wrk), HTTP/2 (h2load), new TLS handshakes a second (openssl s_time), 12 B and
// 1 MiB responses, and 1,000 connections against 32. The router runs as `npm start` runs it: the router daemon from
// minicloud's build (dist/, plain node) with minicloud's default worker count (MINICLOUD_ROUTER_WORKERS when set) and
// its default node flags, its access log lines streamed to a listener as they are to minicloud; every peer gets the
// same number of workers.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { loadConfig } from '../../src/server/config.ts';
import { freePort } from '../helpers/net.ts';
import { startRouterDaemon } from '../helpers/router-daemon.ts';
import { h2load, handshakes, HOST, wrk, type Figure } from './load.ts';
import { need, needPeers, startCaddy, startHaproxy, startNginx, type PeerOptions, type Server } from './peers.ts';
import { stats } from './stats.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '4');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? '3'));
const MANY = 1000;

// The app runs in its own process, as in production, so it does not share a core with the router.
const APP = `const http = require('node:http');
const small = Buffer.from('hello world\\n'), large = Buffer.alloc(1024 * 1024, 'x');
const s = http.createServer((req, res) => {
  const body = req.url === '/large' ? large : small;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
s.keepAliveTimeout = 60000;
s.listen(Number(process.argv[1]), '127.0.0.1', 2048, () => console.log('ready'));`;

async function app(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', APP, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child;
}

async function startMinicloud(o: PeerOptions): Promise<Server> {
  const routes = [{ app: 'bench', hosts: [HOST], upstreams: [{ host: '127.0.0.1', port: o.upstream }], state: 'running' as const }];
  const d = await startRouterDaemon({ compiled: true, workers: o.workers, routes, certs: { fallback: o.cert, names: { [HOST]: o.cert } }, settings: { httpsPort: await freePort() } });
  // minicloud reads the daemon's events (access log lines for the metrics) while it serves: so does the bench.
  let lines = 0;
  const events = d.client.listen((e) => { if (e.t === 'log') lines += e.lines.length; }, async () => {});
  return { name: 'minicloud', version: '', port: d.port, tlsPort: d.status.settings.httpsPort!, stop: async () => { events.close(); void lines; await d.stop(); } };
}

interface Cell { name: string; run: (s: Server, seconds: number) => Promise<Figure> }

const CELLS: Cell[] = [
  { name: 'HTTP, 12 B', run: (s, t) => wrk(`http://127.0.0.1:${s.port}/`, 32, t) },
  { name: 'HTTP, 1 MiB', run: (s, t) => wrk(`http://127.0.0.1:${s.port}/large`, 32, t) },
  { name: 'HTTPS keep-alive, 12 B', run: (s, t) => wrk(`https://127.0.0.1:${s.tlsPort}/`, 32, t) },
  { name: 'HTTPS keep-alive, 1 MiB', run: (s, t) => wrk(`https://127.0.0.1:${s.tlsPort}/large`, 32, t) },
  { name: 'HTTP/2, 12 B', run: (s, t) => h2load(`https://127.0.0.1:${s.tlsPort}/`, 32, t) },
  { name: 'HTTP/2, 1 MiB', run: (s, t) => h2load(`https://127.0.0.1:${s.tlsPort}/large`, 32, t) },
  { name: 'New TLS handshakes', run: (s, t) => handshakes(s.tlsPort, t) },
  { name: `HTTP, 12 B, ${MANY} connections`, run: (s, t) => wrk(`http://127.0.0.1:${s.port}/`, MANY, t) },
];

// For a look at one thing: BENCH_CASES, a regular expression the case names must match ('HTTP/2|handshakes');
// BENCH_PEERS, the peers to run beside minicloud ('haproxy,nginx'). The default runs every case against every peer.
const casePattern = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : null;
const RUN = CELLS.filter((c) => !casePattern || casePattern.test(c.name));
const PEERS = process.env.BENCH_PEERS?.split(',').map((p) => p.trim().toLowerCase());

export async function routerBench(): Promise<void> {
  need('wrk', 'wrk');
  need('h2load', 'nghttp2-client');
  needPeers();
  const workers = loadConfig({ MINICLOUD_ROUTER_WORKERS: process.env.MINICLOUD_ROUTER_WORKERS }).routerWorkers;
  const cert = await new SelfSignedIssuer().issue(HOST);
  const appPort = await freePort();
  const upstream = await app(appPort);
  const servers: Server[] = [];
  const results = new Map<string, Figure[]>();
  const loads: number[][] = [loadavg()];
  const started = Date.now();
  try {
    const peers: Array<[string, typeof startNginx]> = [['nginx', startNginx], ['haproxy', startHaproxy], ['caddy', startCaddy]];
    servers.push(await startMinicloud({ upstream: appPort, workers, cert }));
    for (const [name, start] of peers) if (!PEERS || PEERS.includes(name)) servers.push(await start({ upstream: appPort, workers, cert }));
    // Warm-up, not counted: Node's JIT (and every server's caches and connection pools) see each path first.
    for (const s of servers) for (const c of [0, 2, 4, 5]) await CELLS[c]!.run(s, 1).catch(() => {});
    for (let round = 0; round < ROUNDS; round++) {
      for (const [c, cell] of RUN.entries()) {
        // Each round and each case starts with another server, so none is always first after a pause or last.
        const k = (round + c) % servers.length;
        for (const s of [...servers.slice(k), ...servers.slice(0, k)]) {
          const key = `${cell.name}|${s.name}`;
          // A run that fails (a tool that hangs past its time limit, say) counts as 0 req/s and one failure.
          const f = await cell.run(s, SECONDS).catch((e: Error): Figure => {
            console.log(`  ! ${cell.name} against ${s.name}: ${e.message.split('\n')[0]}`);
            return { rps: 0, p99: NaN, max: NaN, late: 0, errors: 1 };
          });
          results.set(key, [...(results.get(key) ?? []), f]);
        }
      }
      loads.push(loadavg());
      console.log(`  round ${round + 1} of ${ROUNDS} done (${((Date.now() - started) / 1000).toFixed(0)} s, load average ${loadavg()[0]!.toFixed(1)})`);
    }
  } finally {
    for (const s of servers) await s.stop();
    upstream.kill();
  }
  print(servers, workers, results, loads);
}

const fmtRps = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0));
const fmtMs = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function print(servers: Server[], workers: number, results: Map<string, Figure[]>, loads: number[][]): void {
  const get = (cell: string, s: Server) => results.get(`${cell}|${s.name}`) ?? [];
  const peers = servers.filter((s) => s.name !== 'minicloud');
  const ours = servers.find((s) => s.name === 'minicloud')!;
  const label = (s: Server) => (s.version ? `${s.name} ${s.version}` : s.name);
  console.log(`\nRouter against ${peers.map(label).join(', ')}: ${workers} worker${workers > 1 ? 's' : ''} each (minicloud's default; MINICLOUD_ROUTER_WORKERS sets it), ` +
    `${ROUNDS} interleaved rounds of ${SECONDS} s a run, ${availableParallelism()} cores; medians, (min–max) over the rounds.`);
  console.log(`Load average (1 min) before and after each round: ${loads.map((l) => l[0]!.toFixed(1)).join(' → ')}`);
  console.log('wrk -t2 -c32 (HTTP/1.1 keep-alive); h2load -c32 -m10 -t2; openssl s_time -new (one client).\n');
  console.log(`| Case | ${servers.map(label).join(' | ')} | minicloud / best peer |`);
  console.log(`|---|${servers.map(() => '---').join('|')}|---|`);
  for (const cell of RUN) {
    const cells = servers.map((s) => {
      const f = get(cell.name, s);
      const r = stats(f.map((x) => x.rps));
      const p = f.every((x) => Number.isNaN(x.p99)) ? null : stats(f.map((x) => x.p99));
      const bad = f.reduce((n, x) => n + x.errors + x.late, 0);
      return `${fmtRps(r.median)} (${fmtRps(r.min)}–${fmtRps(r.max)})${p ? `, p99 ${fmtMs(p.median)} ms` : ''}${bad ? `, ${bad} failed or over 2 s` : ''}`;
    });
    console.log(`| ${cell.name} | ${cells.join(' | ')} | ${ratios(cell.name, ours, peers, get)} |`);
  }
  if (RUN.includes(CELLS[0]!) && RUN.includes(CELLS.at(-1)!)) many(servers, get, label);
}

/** minicloud's median req/s against the peer with the most, its p99 against the peer with the lowest. */
function ratios(cell: string, ours: Server, peers: Server[], get: (cell: string, s: Server) => Figure[]): string {
  const med = (s: Server, k: 'rps' | 'p99') => stats(get(cell, s).map((x) => x[k])).median;
  const fastest = [...peers].sort((a, b) => med(b, 'rps') - med(a, 'rps'))[0]!;
  let out = `${((med(ours, 'rps') / med(fastest, 'rps')) * 100).toFixed(0)}% of ${fastest.name}'s req/s`;
  const withP99 = peers.filter((p) => !Number.isNaN(med(p, 'p99')));
  if (withP99.length && !Number.isNaN(med(ours, 'p99'))) {
    const tightest = withP99.sort((a, b) => med(a, 'p99') - med(b, 'p99'))[0]!;
    out += `; p99 ${(med(ours, 'p99') / med(tightest, 'p99')).toFixed(1)}× ${tightest.name}'s`;
  }
  return out;
}

/** 1,000 connections against 32: throughput kept, and requests that waited over 2 s (or failed). */
function many(servers: Server[], get: (cell: string, s: Server) => Figure[], label: (s: Server) => string): void {
  const [few, lots] = [CELLS[0]!.name, CELLS.at(-1)!.name];
  console.log(`\n${MANY} connections against 32 (HTTP, 12 B, wrk --timeout 2s): the goal is ≥ 85% of the 32-connection req/s and no request over 2 s.\n`);
  console.log(`| Server | 32 connections | ${MANY} connections | ${MANY} / 32 | p99 at ${MANY} | slowest | over 2 s or failed (all rounds) |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const s of servers) {
    const a = stats(get(few, s).map((x) => x.rps)).median;
    const f = get(lots, s);
    const b = stats(f.map((x) => x.rps)).median;
    const p99 = stats(f.map((x) => x.p99)).median;
    const slowest = Math.max(...f.map((x) => x.max));
    const bad = f.reduce((n, x) => n + x.errors + x.late, 0);
    console.log(`| ${label(s)} | ${fmtRps(a)} | ${fmtRps(b)} | ${((b / a) * 100).toFixed(0)}% | ${fmtMs(p99)} ms | ${fmtMs(slowest)} ms | ${bad} |`);
  }
}
