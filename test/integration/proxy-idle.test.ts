// Idleness and websockets: an open websocket keeps telling the sleeper its app is in use, and stops when it closes.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { startRouter } from '../../proxy/index.ts';
import { RouteTable } from '../../src/routes/index.ts';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => { for (const c of closers) await c(); });

it('counts an open, quiet websocket as use of its app until it closes', async () => {
  const app = http.createServer((_q, s) => s.end());
  const upgraded = new Set<Socket>();
  app.on('upgrade', (_req, socket: Socket) => {
    upgraded.add(socket);
    socket.on('end', () => socket.end()); // the client hung up: so does the app, as a websocket server would
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { for (const s of upgraded) s.destroy(); app.close(() => r()); }));
  const table = new RouteTable();
  table.replace([{ app: 'chat', hosts: ['chat.localhost'], upstreams: [{ host: '127.0.0.1', port: (app.address() as AddressInfo).port }], state: 'running' }]);
  const touches: number[] = [];
  const router = await startRouter({ port: 0, host: '127.0.0.1', table, domain: 'localhost', openTouchMs: 50, onRequest: () => touches.push(Date.now()) });
  closers.push(() => router.close());

  const socket = await new Promise<Socket>((resolve, reject) => {
    const req = http.request({
      port: router.port, agent: false,
      headers: { host: 'chat.localhost', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (_res, s: Socket) => resolve(s));
    req.on('error', reject);
    req.end();
  });
  await new Promise((r) => setTimeout(r, 400)); // quiet: no frame either way
  const whileOpen = touches.length;
  expect(whileOpen).toBeGreaterThanOrEqual(4); // the upgrade itself, then one every 50 ms
  socket.destroy();
  await new Promise((r) => setTimeout(r, 300));
  const afterClose = touches.length;
  await new Promise((r) => setTimeout(r, 300));
  expect(touches.length).toBe(afterClose);
});
