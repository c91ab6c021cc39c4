// The router's two paths fuzzed against each other: the same seeded mutated requests get the same answers (status classes, in order) and put the same requests, all well framed, in front of the app.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Router } from '../../proxy/index.ts';
import { RouteTable } from '../../src/routes/index.ts';
import { PATHS, startBothRouters, startEchoApp, type EchoApp, type PathName } from '../helpers/echo-app.ts';
import { mutate, noise, Rng, routerSeeds } from '../helpers/fuzz.ts';

// FUZZ_SEED=<n> replays a run; every run prints its seed.
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
const COUNT = 800;
const WORKERS = 4;
// The app's parser meeting the end of a connection mid-request: a request the router cut off.
const CUT_OFF = new Set(['HPE_INVALID_EOF_STATE', 'ECONNRESET']);

/** One worker's pair: each path with an app of its own, so what reaches an app is that path's doing. */
interface Pair { routers: Record<PathName, Router>; apps: Record<PathName, EchoApp> }
const pairs: Pair[] = [];

beforeAll(async () => {
  for (let i = 0; i < WORKERS; i++) {
    const [fastApp, slowApp] = await Promise.all([startEchoApp(), startEchoApp()]);
    const table = (app: EchoApp) => new RouteTable([{ app: 'echo', hosts: ['echo.localhost'], upstreams: [{ host: '127.0.0.1', port: app.port }], state: 'running', maxBodyBytes: 64 * 1024 }]);
    const [a, b] = await Promise.all([startBothRouters({ table: table(fastApp), domain: 'localhost' }), startBothRouters({ table: table(slowApp), domain: 'localhost' })]);
    await Promise.all([a.slow.close(), b.fast.close()]);
    pairs.push({ routers: { fast: a.fast, slow: b.slow }, apps: { fast: fastApp, slow: slowApp } });
  }
});
afterAll(async () => {
  for (const p of pairs) await Promise.all([...Object.values(p.routers).map((r) => r.close()), ...Object.values(p.apps).map((a) => a.close())]);
});

/** Sends bytes; resolves with the answers' status classes once the router closes or has been quiet for `quietMs`. */
function exchange(port: number, payload: Buffer, quietMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(payload));
    let text = '';
    const timer = setTimeout(() => s.destroy(), quietMs);
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      timer.refresh();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve([...text.matchAll(/HTTP\/1\.1 (\d)\d\d /g)].map((m) => m[1]).join(''));
    });
  });
}

/** What one payload did on one path: answers, and the whole requests and parse errors at its app. */
async function outcome(pair: Pair, path: PathName, payload: Buffer, quietMs: number): Promise<string> {
  const app = pair.apps[path];
  app.reset();
  const answers = await exchange(pair.routers[path].port, payload, quietMs);
  await new Promise((r) => setTimeout(r, 20));
  // Sorted: the slow path may pass pipelined requests on over several connections at once.
  const requests = app.seen.filter((s) => s.complete).map((s) => `${s.method} ${s.url} ${s.body.length}`).sort();
  return JSON.stringify({ answers, requests, appErrors: app.parseErrors.filter((e) => !CUT_OFF.has(e)) });
}

it(`both paths answer ${COUNT} mutated requests alike`, async () => {
  const rng = new Rng(SEED);
  const seeds = routerSeeds('echo.localhost');
  const payloads = Array.from({ length: COUNT }, () => (rng.next() < 0.1 ? noise(rng) : mutate(rng, rng.pick(seeds))));
  const differences: string[] = [];
  let next = 0;
  await Promise.all(pairs.map(async (pair) => {
    for (let i = next++; i < payloads.length; i = next++) {
      const p = payloads[i]!;
      const run = (quietMs: number) => Promise.all(PATHS.map((path) => outcome(pair, path, p, quietMs)));
      let [fast, slow] = await run(300);
      // A busy machine can make one path miss the quiet window: a difference counts if it stays with a long one.
      if (fast !== slow) [fast, slow] = await run(2000);
      // Bytes the app's own strict parser refused are a difference too, even on both paths.
      if (fast !== slow || /"appErrors":\["/.test(fast! + slow!)) differences.push(`${JSON.stringify(p.toString('latin1').slice(0, 400))}\n  fast ${fast}\n  slow ${slow}`);
    }
  }));
  console.log(`seed ${SEED}: ${COUNT} payloads, ${differences.length} differences`);
  expect(differences, `seed ${SEED}`).toEqual([]);
});
