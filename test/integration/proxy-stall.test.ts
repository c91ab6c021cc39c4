// Nobody stalls the router for all: clients sending headers with runs of spaces (both paths), and an app answering with a header of 16,000 spaces (the slow path; proxy-hostile-app.test.ts has the fast one), leave another app's latency within 2x.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/routes/index.ts';
import { PATHS, startRouterProcess, type PathName, type RouterProcess } from '../helpers/echo-app.ts';

const SPACES = 16_000;
const servers: net.Server[] = [];
const routers: Partial<Record<PathName, RouterProcess>> = {};
const route = (app: string, port: number): Route => ({ app, hosts: [`${app}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running' });

/** An app that answers every request on a connection with `head` and a 2-byte body. */
async function rawApp(padding: string): Promise<number> {
  const answer = `HTTP/1.1 200 OK\r\nX-Pad: a${padding}b\r\nContent-Length: 2\r\n\r\nok`;
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        buf = buf.slice(end + 4);
        s.write(answer);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const calm = http.createServer((_req, res) => res.end('calm'));
  servers.push(calm);
  await new Promise<void>((r) => calm.listen(0, '127.0.0.1', r));
  const routes = [
    route('calm', (calm.address() as AddressInfo).port),
    route('hostile', await rawApp(' '.repeat(SPACES))),
    route('plain', await rawApp('x'.repeat(SPACES))), // the same size, no run of spaces: the fair baseline
  ];
  for (const p of PATHS) routers[p] = await startRouterProcess(routes, p);
});
afterAll(async () => {
  await Promise.all(Object.values(routers).map((r) => r.stop()));
  for (const s of servers) s.close();
});

/** One GET on a kept-alive agent; resolves with its status. */
function get(agent: http.Agent, port: number, host: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, headers: { host, ...headers }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Median latency (ms) of `n` sequential requests to the calm app (fewer if they take over 15 s: a stall is plain by then). */
async function calmMedian(port: number, n: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms: number[] = [];
  const deadline = performance.now() + 15_000;
  try {
    await get(agent, port, 'calm.localhost');
    for (let i = 0; i < n && performance.now() < deadline; i++) {
      const t = performance.now();
      expect(await get(agent, port, 'calm.localhost')).toBe(200);
      ms.push(performance.now() - t);
    }
  } finally {
    agent.destroy();
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

/** Runs two loops of requests (what `send` does) while measuring the calm app; the calm median and how many the loops made. */
async function underLoad(port: number, send: (agent: http.Agent) => Promise<number>): Promise<{ median: number; loops: number }> {
  let running = true;
  let count = 0;
  const agents = [0, 1].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const loops = agents.map(async (agent) => {
    while (running) {
      expect(await send(agent)).toBe(200);
      count++;
    }
  });
  try {
    while (count < 4) await new Promise((r) => setTimeout(r, 10)); // both loops are going
    return { median: await calmMedian(port, 60), loops: count };
  } finally {
    running = false;
    await Promise.all(loops);
    for (const a of agents) a.destroy();
  }
}

/**
 * The bound: 2x the latency beside an app (or clients) sending as many ordinary bytes. Below 5 ms,
 * this shared 2-core machine's scheduling noise is larger than any effect: the baseline counts as
 * 5 ms then (a stall costs hundreds).
 */
const bound = (...baselines: number[]) => 2 * Math.max(5, ...baselines);

describe.each(PATHS)('the %s path', (path) => {
  it('another app\'s median latency stays within 2x while clients send headers with a run of 7,000 spaces', async () => {
    const port = routers[path]!.port;
    const pad = (c: string) => ({ 'x-pad': `a${c.repeat(7000)}b` });
    const plain = await underLoad(port, (a) => get(a, port, 'calm.localhost', pad('x')));
    const hostile = await underLoad(port, (a) => get(a, port, 'calm.localhost', pad(' ')));
    console.log(`${path} path: calm median ${plain.median.toFixed(2)} ms beside 7 KB headers, ${hostile.median.toFixed(2)} ms beside 7,000-space ones`);
    expect(hostile.median).toBeLessThanOrEqual(bound(plain.median));
  });
});

it(`the slow path: another app's median latency stays within 2x while an app answers with a header of ${SPACES} spaces`, async () => {
  const port = routers.slow!.port;
  const idle = await calmMedian(port, 40);
  const plain = await underLoad(port, (a) => get(a, port, 'plain.localhost'));
  const hostile = await underLoad(port, (a) => get(a, port, 'hostile.localhost'));
  console.log(`slow path: calm median ${idle.toFixed(2)} ms idle, ${plain.median.toFixed(2)} ms beside a 16 KB-header app, ${hostile.median.toFixed(2)} ms beside the 16,000-space one`);
  expect(hostile.median).toBeLessThanOrEqual(bound(plain.median, idle));
});
