// The edge router when an instance dies before the route table knows: requests retried, never lost, never sent twice.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRouter, type Router } from '../../proxy/index.ts';
import { RouteTable, type Route } from '../../src/routes/index.ts';
import { until } from '../helpers/net.ts';
import { startNetns } from '../helpers/netns.ts';

interface Reply { status: number; text: string }

const servers: http.Server[] = [];
async function serve(handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}
/** An upstream that answers `<name> <method> <body>` and counts what it got. */
async function app(name: string) {
  const seen: string[] = [];
  const s = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push(`${req.method} ${req.url} ${body.length}`);
      res.end(`${name} ${req.method} ${body.length > 64 ? `${body.length} bytes` : body.toString()}`);
    });
  });
  return { ...s, seen };
}
const kill = (s: http.Server) => new Promise((r) => (s.closeAllConnections(), s.close(r)));
async function deadPort(): Promise<number> {
  const { port, server } = await serve(() => {});
  await kill(server);
  return port;
}

let router: Router;
const table = new RouteTable();
const logs: string[] = [];
const route = (name: string, ports: number[]): Route => ({
  app: name,
  hosts: [`${name}.localhost`],
  upstreams: ports.map((port) => ({ host: '127.0.0.1', port })),
  state: 'running',
});
const up = (port: number) => ({ host: '127.0.0.1', port });
const when = (what: string, check: () => boolean) => until(what, async () => (check() ? true : undefined));

function request(host: string, o: { method?: string; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: router.port, method: o.method ?? 'GET', agent: false, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

beforeAll(async () => {
  router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', log: (l) => logs.push(l), health: (l) => logs.push(l) });
});
afterAll(async () => {
  await router.close();
  await Promise.all(servers.map((s) => (s.closeAllConnections(), new Promise((r) => s.close(r)))));
});
beforeEach(() => table.replace([])); // also resets the round-robin cursors and the suspects

describe('retry on a refused connection', () => {
  it('sends a POST whose first upstream is dead to the next one, body intact', async () => {
    const live = await app('live');
    table.replace([route('post', [await deadPort(), live.port])]);
    const r = await request('post.localhost', { method: 'POST', body: Buffer.from('hello, the body') });
    expect(r).toEqual({ status: 200, text: 'live POST hello, the body' });
    // and a body far larger than any socket buffer, held back while the dead one was tried
    table.replace([route('post', [await deadPort(), live.port])]);
    const big = await request('post.localhost', { method: 'PUT', body: Buffer.alloc(3 * 1024 * 1024, 'x') });
    expect(big).toEqual({ status: 200, text: `live PUT ${3 * 1024 * 1024} bytes` });
    expect(live.seen).toEqual(['POST / 15', `PUT / ${3 * 1024 * 1024}`]);
  });

  it('loses no request when one of three instances dies and the table is never told', async () => {
    const apps = [await app('a'), await app('b'), await app('c')];
    table.replace([route('three', apps.map((a) => a.port))]);
    for (let i = 0; i < 6; i++) expect((await request('three.localhost')).status).toBe(200); // pooled connections to each
    await kill(apps[1]!.server);
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const post = i % 3 === 0;
      const r = await request('three.localhost', post ? { method: 'POST', body: Buffer.from(`n${i}`) } : {});
      if (r.status !== 200 || (post && !r.text.endsWith(` POST n${i}`))) failures.push(`${i}: ${r.status} ${r.text.slice(0, 80)}`);
    }
    expect(failures).toEqual([]);
    expect(table.isSuspect(up(apps[1]!.port))).toBe(true);
    const [a, , c] = apps.map((x) => x.seen.length - 2);
    expect(a! + c!).toBe(200); // each request once, no duplicates
    expect(Math.abs(a! - c!)).toBeLessThanOrEqual(2); // still round-robin over the living
  });

  it('keeps an unreachable upstream out of rotation, across table refreshes, until a probe reaches it again', async () => {
    const live = await app('live');
    const dead = await deadPort();
    table.replace([route('sus', [dead, live.port])]);
    expect((await request('sus.localhost')).status).toBe(200);
    expect(table.isSuspect(up(dead))).toBe(true);
    expect(table.lookup('sus.localhost')?.upstream).toEqual(up(live.port));
    expect(table.lookup('sus.localhost')?.upstream).toEqual(up(live.port));
    table.replace([route('sus', [dead, live.port])]); // minicloud has not heard yet: it stays out
    expect(table.isSuspect(up(dead))).toBe(true);
    const back = http.createServer((_req, res) => res.end('back'));
    servers.push(back);
    await new Promise<void>((r) => back.listen(dead, '127.0.0.1', r));
    await when('a probe to bring it back', () => !table.isSuspect(up(dead)));
    const answers = new Set([(await request('sus.localhost')).text, (await request('sus.localhost')).text]);
    expect(answers).toEqual(new Set(['back', 'live GET ']));
    const said = logs.filter((l) => l.startsWith(`instance 127.0.0.1:${dead} `));
    expect(said[0]).toMatch(/^instance 127\.0\.0\.1:\d+ out of rotation \(ECONNREFUSED\): requests go to the app's other instances until it answers$/);
    expect(said[1]).toBe(`instance 127.0.0.1:${dead} back in rotation: it answers again`);
  });

  it('sends a request whose instance never answers the connect (its machine gone) to the next one, and keeps that one out', async () => {
    const ns = startNetns(); // "another machine" that drops every TCP packet: no reset, no ICMP, as a dead node
    try {
      execFileSync(ns.exec[0]!, [...ns.exec.slice(1), 'iptables', '-A', 'INPUT', '-p', 'tcp', '-j', 'DROP']);
      const live = await app('live');
      const gone = { host: ns.ip, port: 8080 };
      table.replace([{ ...route('vanished', []), upstreams: [gone, up(live.port)] }]); // a new app: round robin starts at `gone`
      const t = performance.now();
      const r = await request('vanished.localhost', { method: 'POST', body: Buffer.from('charge once') });
      const ms = performance.now() - t;
      expect(r).toEqual({ status: 200, text: 'live POST charge once' });
      expect(ms, 'the connect\'s own limit (3 s), not the 30 s upstream timeout').toBeLessThan(20_000);
      expect(table.isSuspect(gone)).toBe(true);
      expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^instance ${ns.ip.replaceAll('.', '\\.')}:8080 out of rotation \\(`)));
      for (let i = 0; i < 3; i++) expect((await request('vanished.localhost')).text).toBe('live GET ');
    } finally {
      ns.down();
    }
  });

  it('takes an instance that stopped answering out of rotation before any request meets it (the probe)', async () => {
    const a = await app('a');
    const b = await app('b');
    table.replace([route('probed', [a.port, b.port])]);
    await kill(b.server);
    await when('the probe to take it out', () => table.isSuspect(up(b.port)));
    for (let i = 0; i < 4; i++) expect((await request('probed.localhost')).text).toBe('a GET ');
  });

  it('502s once every upstream refused, each tried once', async () => {
    table.replace([route('gone', [await deadPort(), await deadPort()])]);
    const r = await request('gone.localhost', { method: 'POST', body: Buffer.from('x') });
    expect(r.status).toBe(502);
    expect(r.text).toContain('App not answering');
    expect(table.routes()[0]!.upstreams.every((u) => table.isSuspect(u))).toBe(true);
  });
});

describe('no retry once the request may have reached an app', () => {
  it('502s a request whose connection dropped after it was sent, and never sends it to another instance', async () => {
    const crash = await serve((req) => req.on('data', () => {}).on('end', () => req.socket.destroy()));
    const other = await app('other');
    for (const [name, o] of [['post', { method: 'POST', body: Buffer.from('charge the card once') }], ['get', {}]] as const) {
      table.replace([route(name, [crash.port, other.port])]); // a new app: its round robin starts at `crash`
      expect((await request(`${name}.localhost`, o)).status, name).toBe(502);
    }
    expect(other.seen).toEqual([]);
    expect(table.isSuspect(up(crash.port))).toBe(false);
  });
});
