// Benchmark: what OCSP stapling costs a TLS handshake. The router daemon (minicloud's default worker count) serves two
// certificates of a CA made here (`openssl`): one whose responder (`openssl ocsp`) answered, so its handshakes carry a
// staple when the client asks, one that names no responder. New full TLS handshakes a second (no resumption) from a
// client process of Node's own, in interleaved rounds: asking for a staple and getting one, not asking, and asking
// where there is none. The client's own work is in every figure alike: compare the rows, not the absolute numbers.
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { connect, type ConnectionOptions } from 'node:tls';
import { SelfSignedIssuer } from '../../src/certs/index.ts';
import { loadConfig } from '../../src/server/config.ts';
import { freePort, until } from '../helpers/net.ts';
import { startTestCa } from '../helpers/ocsp-ca.ts';
import { startRouterDaemon } from '../helpers/router-daemon.ts';
import { stats } from './stats.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '4');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? '3'));
const STAPLED = 'stapled.ocsp-bench.test';
const NONE = 'unstapled.ocsp-bench.test';
// Handshakes in flight at once from the client process (each loop: connect, handshake, close, again).
const PARALLEL = 4;

const CLIENT = `const tls = require('node:tls');
const [port, name, ask, seconds, par] = process.argv.slice(1);
let n = 0, stapled = 0, errors = 0;
const end = Date.now() + Number(seconds) * 1000;
const one = () => new Promise((done) => {
  const s = tls.connect({ host: '127.0.0.1', port: Number(port), servername: name, rejectUnauthorized: false, requestOCSP: ask === '1' }, () => { n++; s.destroy(); done(); });
  s.on('OCSPResponse', (r) => { if (r && r.length) stapled++; });
  s.on('error', () => { errors++; done(); });
});
const loop = async () => { while (Date.now() < end) await one(); };
const t = performance.now();
Promise.all(Array.from({ length: Number(par) }, loop)).then(() => console.log(JSON.stringify({ rate: n / ((performance.now() - t) / 1000), stapled, n, errors })));`;

interface Run { rate: number; stapled: number; n: number; errors: number }

function client(port: number, name: string, ask: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT, String(port), name, ask ? '1' : '0', String(SECONDS), String(PARALLEL)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.once('exit', () => { try { resolve(JSON.parse(out) as Run); } catch { reject(new Error(`the client said: ${out}`)); } });
  });
}

const CASES = [
  { name: 'asks, gets a staple', host: STAPLED, ask: true },
  { name: 'does not ask', host: STAPLED, ask: false },
  { name: 'asks, no staple (certificate names no responder)', host: NONE, ask: true },
];

export async function ocspBench(): Promise<void> {
  const workers = loadConfig({ MINICLOUD_ROUTER_WORKERS: process.env.MINICLOUD_ROUTER_WORKERS }).routerWorkers;
  const ca = await startTestCa();
  const names = { [STAPLED]: ca.leaf(STAPLED, 'B001', 'ok'), [NONE]: ca.leaf(NONE, 'B002', null) };
  await ca.answer();
  const routes = [{ app: 'ocspbench', hosts: [STAPLED, NONE], upstreams: [], state: 'stopped' as const }];
  const d = await startRouterDaemon({ workers, routes, certs: { fallback: await new SelfSignedIssuer().issue('minicloud'), names }, settings: { httpsPort: await freePort() } });
  const port = d.status.settings.httpsPort!;
  const results = new Map<string, number[]>();
  const loads = [loadavg()[0]!];
  let size = 0;
  try {
    size = (await until('the daemon stapling', async () => stapleSize(port), 60_000));
    for (const c of CASES) await client(port, c.host, c.ask); // warm-up, not counted
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < CASES.length; i++) {
        const c = CASES[(round + i) % CASES.length]!;
        const r = await client(port, c.host, c.ask);
        if (c.ask && c.host === STAPLED && r.stapled !== r.n) console.log(`  ! ${r.n - r.stapled} of ${r.n} handshakes had no staple`);
        results.set(c.name, [...(results.get(c.name) ?? []), r.rate]);
      }
      loads.push(loadavg()[0]!);
    }
  } finally {
    await d.stop();
    await ca.stop();
  }
  console.log(`\nOCSP stapling: new TLS handshakes a second (TLS 1.3, ECDSA P-256, no resumption), ${PARALLEL} at a time from one Node client process; ` +
    `the router daemon with ${workers} worker${workers > 1 ? 's' : ''}, ${availableParallelism()} cores, ${ROUNDS} interleaved rounds of ${SECONDS} s; ` +
    `medians (min–max). The staple: ${size} bytes. Load average (1 min) per round: ${loads.map((l) => l.toFixed(1)).join(' → ')}\n`);
  console.log('| Client | handshakes/s | against "does not ask" |');
  console.log('|---|---|---|');
  const base = stats(results.get(CASES[1]!.name)!).median;
  for (const c of CASES) {
    const s = stats(results.get(c.name)!);
    console.log(`| ${c.name} | ${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)}) | ${((s.median / base) * 100).toFixed(0)}% |`);
  }
}

/** The size of the staple the daemon serves for the stapled name, once it has one. */
function stapleSize(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    let size: number | undefined;
    const s = connect({ host: '127.0.0.1', port, servername: STAPLED, rejectUnauthorized: false, requestOCSP: true } as ConnectionOptions, () => (s.destroy(), resolve(size)));
    s.on('OCSPResponse', (r: Buffer) => void (size = r?.length || undefined));
    s.on('error', reject);
  });
}
