// GET /api/apps/:app/console: `minicloud run` from a terminal, a websocket. Upgrades go through the express app like
// any request, so the access gate authenticates and authorizes them (route-table.ts) before the handshake is answered.
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router, type Request, type RequestHandler } from 'express';
import { WebSocketServer } from 'ws';
import type { Logger } from '../core/index.ts';
import { ConsoleSession } from './console-session.ts';
import { appParam } from './inputs.ts';
import type { RouteDeps } from './route-deps.ts';

/** Nothing typed and nothing printed for an hour: the console is closed (MINICLOUD_CONSOLE_IDLE_TIMEOUT). */
export const CONSOLE_IDLE_DEFAULT_MS = 3600_000;

/** The bytes that came after an upgrade request's headers, for the handshake. */
const heads = new WeakMap<IncomingMessage, Buffer>();

export function consoleRoutes(d: RouteDeps, o: { idleMs: number; log: Logger }): Router {
  const r = Router();
  // Keystrokes are small; 64 KiB is a generous paste. No compression: the input is typed, the output already terse.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  r.get('/apps/:app/console', (req, res) => {
    const head = heads.get(req);
    const app = d.store.apps.require(appParam(req)).name;
    if (!head || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      res.setHeader('upgrade', 'websocket');
      return void res.status(426).json({ error: 'the console is a websocket', hint: `open it with \`minicloud run ${app} bash\` from a terminal` });
    }
    res.statusCode = 101; // what the audit log records once the console has ended
    wss.handleUpgrade(req, req.socket, head, (ws) => {
      new ConsoleSession(ws, app, {
        start: (command, opts) => d.processes.console(app, command, opts),
        idleMs: o.idleMs,
        onCommand: (command) => { (req as Request & { body: unknown }).body = { command }; },
        log: o.log,
      });
    });
  });
  return r;
}

/**
 * The server's upgrades, answered by `app` as requests: a refusal (401, 403, 404, 426) is an HTTP response on the
 * socket, which then closes; the console route takes the socket over. Only /api/ paths; others are dropped.
 */
export function acceptUpgrades(server: Server, app: RequestHandler): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!req.url?.startsWith('/api/')) return void socket.destroy();
    socket.on('error', () => { /* a client gone mid-handshake */ });
    heads.set(req, head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    res.on('finish', () => socket.end());
    app(req as Request, res as unknown as Parameters<RequestHandler>[1], () => {
      if (!res.headersSent) res.writeHead(404).end();
    });
  });
}
