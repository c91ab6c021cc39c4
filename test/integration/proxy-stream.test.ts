// Bodies streamed through the router, never buffered: 100 MB each way with the router's peak memory bounded, and an app killed mid-request.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Route } from '../../src/routes/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1024 * 1024;
const SIZE = 100 * MB;
const CHUNK = Buffer.alloc(64 * 1024, 'minicloud ');

let app: http.Server;
let appPort = 0;
const children: ChildProcess[] = [];

/** Starts a child process and resolves with the first number it prints after `marker`. */
function child(args: string[], marker: RegExp): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = marker.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}
const startRouter = (routes: Route[]) => child(['--import', 'tsx', 'test/helpers/router-process.ts', JSON.stringify(routes)], /router listening on (\d+)/);
const route = (name: string, port: number): Route => ({ app: name, hosts: [`${name}.localhost`], upstreams: [{ host: '127.0.0.1', port }], state: 'running' });

/** Peak resident memory of a process so far (kB). */
const peakKb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** Writes `total` bytes with backpressure, the way a real upload trickles through. */
async function pump(out: NodeJS.WritableStream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    if (!out.write(CHUNK.subarray(0, Math.min(CHUNK.length, total - sent)))) await new Promise((r) => out.once('drain', r));
  }
  out.end();
}

function request(port: number, host: string, o: { method?: string; path?: string; upload?: number } = {}) {
  return new Promise<{ status: number; bytes: number; text: string }>((resolve, reject) => {
    const req = http.request({ port, method: o.method ?? 'GET', path: o.path ?? '/', agent: false, headers: { host, ...(o.upload ? { 'content-length': o.upload } : {}) } }, (res) => {
      let bytes = 0;
      let text = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (text.length < 4096) text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.upload) void pump(req, o.upload);
    else req.end();
  });
}

beforeAll(async () => {
  app = http.createServer((req, res) => {
    if (req.url === '/download') {
      res.writeHead(200, { 'content-length': SIZE });
      return void pump(res, SIZE);
    }
    let got = 0;
    req.on('data', (c: Buffer) => (got += c.length));
    req.on('end', () => res.end(String(got)));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

it('streams a 100 MB upload and a 100 MB download with the router growing well under 100 MB', async () => {
  const { proc, port } = await startRouter([route('big', appPort)]);
  for (let i = 0; i < 20; i++) expect((await request(port, 'big.localhost')).status).toBe(200); // warm: pools, JIT
  const before = peakKb(proc.pid!);
  const up = await request(port, 'big.localhost', { method: 'POST', path: '/upload', upload: SIZE });
  expect(up).toMatchObject({ status: 200, text: String(SIZE) });
  const down = await request(port, 'big.localhost', { path: '/download' });
  expect(down).toMatchObject({ status: 200, bytes: SIZE });
  const grewMb = (peakKb(proc.pid!) - before) / 1024;
  console.log(`router peak RSS grew ${grewMb.toFixed(1)} MB (from ${(before / 1024).toFixed(0)} MB)`);
  expect(grewMb).toBeLessThan(60);
});

it('502s a request whose app is killed before answering, and keeps serving', async () => {
  // An app in its own process that never answers /hang: killed while the router waits on it.
  const hanging = await child(['-e', `const s = require('node:http').createServer((req, res) => { if (req.url !== '/hang') res.end('ok'); else console.log('hung'); });
s.listen(0, '127.0.0.1', () => console.log('app listening on ' + s.address().port));`], /app listening on (\d+)/);
  const { port } = await startRouter([route('doomed', hanging.port), route('big', appPort)]);
  expect((await request(port, 'doomed.localhost')).text).toBe('ok');
  const hung = new Promise<void>((r) => hanging.proc.stdout!.on('data', (d: Buffer) => String(d).includes('hung') && r()));
  const reply = request(port, 'doomed.localhost', { path: '/hang' });
  await hung;
  hanging.proc.kill('SIGKILL');
  const r = await reply;
  expect(r.status).toBe(502);
  expect(r.text).toContain('App not answering');
  expect((await request(port, 'big.localhost')).status).toBe(200);
  expect((await request(port, 'doomed.localhost')).status).toBe(502); // refused now: still a page, never a crash
});
