// One app answering with hostile response heads must not slow the router down for every other app.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Route } from '../../src/routes/index.ts';
import { load } from '../helpers/load.ts';
import { get } from '../helpers/net.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// 16,000 spaces inside one header value: the fast path's old field pattern took ~340-920 ms to parse it.
const head = (pad: string) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Pad: a${pad}b\r\nContent-Length: 2\r\n\r\nok`;
const HOSTILE = head(' '.repeat(16_000));
// The control: a head of the same size without the run of spaces, so the load itself is the same.
const BIG = head('x'.repeat(16_000));

const servers: Array<http.Server | net.Server> = [];
let router: ChildProcess;
let routerPort = 0;

async function listen(s: http.Server | net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

const route = (app: string, port: number): Route => ({ app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running' });

beforeAll(async () => {
  const calm = await listen(http.createServer((_req, res) => res.end('calm')));
  // Answers every request on a connection (kept alive) with the hostile head.
  const hostile = await listen(net.createServer((s) => s.on('data', () => s.write(HOSTILE))));
  const big = await listen(net.createServer((s) => s.on('data', () => s.write(BIG))));
  // The router in its own process, as minicloud runs it: its event loop is what a slow parse would block.
  router = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/router-process.ts', JSON.stringify([route('calm', calm), route('hostile', hostile), route('big', big)])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  routerPort = await new Promise<number>((resolve, reject) => {
    let out = '';
    router.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /router listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    router.once('exit', (code) => reject(new Error(`router exited with ${code}: ${out}`)));
  });
});

afterAll(async () => {
  router?.kill('SIGTERM');
  for (const s of servers) if (s instanceof http.Server) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Median latency (ms) of `n` sequential requests to the calm app (fewer if 15 s pass first: a stalled router). */
async function calmMedian(n: number): Promise<number> {
  const times: number[] = [];
  const until = Date.now() + 15_000;
  for (let i = 0; i < n && Date.now() < until; i++) {
    const t = performance.now();
    const r = await get(routerPort, 'calm.localhost');
    times.push(performance.now() - t);
    expect(r.body).toBe('calm');
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** The calm app's median while two loops request `host`, and how many responses the loops got. */
async function alongside(host: string): Promise<{ median: number; total: number }> {
  const loops = load(routerPort, host, 2);
  const median = await calmMedian(150);
  const result = await loops.stop();
  expect(result.failures).toEqual([]);
  return { median, total: result.total };
}

it('another app\'s median latency stays within 2x while two loops request an app sending 16,000-space headers', async () => {
  const hostile = await get(routerPort, 'hostile.localhost');
  expect([hostile.status, hostile.body]).toEqual([200, 'ok']);
  await calmMedian(20); // warm-up
  const baseline = await calmMedian(150);
  const control = await alongside('big.localhost');
  const attacked = await alongside('hostile.localhost');
  console.log(`calm app median: ${baseline.toFixed(2)} ms alone, ${control.median.toFixed(2)} ms beside ${control.total} ordinary 16 KB heads, ${attacked.median.toFixed(2)} ms beside ${attacked.total} 16,000-space heads`);
  expect(attacked.total).toBeGreaterThan(50);
  // Against the same load with ordinary heads (two client loops share 2 busy cores with the router): within 2x, plus
  // 1 ms of noise. Before the fix: 1.6 ms → 516 ms (issue 16), and this test's 150 requests did not finish in 60 s.
  expect(attacked.median).toBeLessThan(2 * control.median + 1);
});
