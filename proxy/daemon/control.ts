// The daemon's control socket: HTTP over a Unix socket (mode 0600) that only minicloud (root, or its user) can open.
import { chmodSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { CertSet, DaemonEvent, DaemonStatus, Route } from './protocol.ts';

export interface ControlHandlers {
  status(): DaemonStatus;
  /** Resolves once every worker serves with them. */
  routes(routes: Route[]): Promise<void>;
  certs(certs: CertSet): void;
  challenges(map: Record<string, string>): void;
  flush(): Promise<void>;
  restart(): Promise<void>;
  stop(): void;
  /** A new /events listener; returns what to call when it goes. */
  subscribe(l: { send(e: DaemonEvent): void; end(): void }): () => void;
}

// Routes and certificates for a few hundred names fit easily; anything bigger is not minicloud.
const MAX_BODY = 32 * 1024 * 1024;

/** Listens on `socket`; refuses (exits the caller's way: throws) when a live daemon already answers there. */
export async function serveControl(socket: string, h: ControlHandlers): Promise<{ close(): Promise<void> }> {
  if (await answers(socket)) throw new Error(`another router daemon already answers on ${socket}`);
  rmSync(socket, { force: true }); // a dead daemon's
  const server = http.createServer((req, res) => {
    handle(h, req, res).catch((e: unknown) => reply(res, 500, { error: (e as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  chmodSync(socket, 0o600);
  return {
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(h: ControlHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${req.url}`;
  if (route === 'GET /status') return reply(res, 200, h.status());
  if (route === 'PUT /routes') return void (await h.routes(asArray(await body(req))), reply(res, 204));
  if (route === 'PUT /certs') return void (h.certs(asCerts(await body(req))), reply(res, 204));
  if (route === 'PUT /challenges') return void (h.challenges(asStringMap(await body(req))), reply(res, 204));
  if (route === 'POST /flush') return void (await h.flush(), reply(res, 204));
  if (route === 'POST /restart') return void (await h.restart(), reply(res, 204));
  if (route === 'POST /stop') return void (reply(res, 202), h.stop());
  if (route === 'GET /events') return events(h, req, res);
  reply(res, 404, { error: `no ${route}` });
}

function events(h: ControlHandlers, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  const gone = h.subscribe({ send: (e) => void res.write(`${JSON.stringify(e)}\n`), end: () => res.end() });
  req.socket.setKeepAlive(true);
  res.once('close', gone);
}

function reply(res: ServerResponse, status: number, value?: unknown): void {
  if (res.headersSent) return void res.destroy();
  const text = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY) throw new Error('body too large');
    chunks.push(c);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// Only minicloud can open the socket; the shapes are still checked, so a bug there cannot crash the edge.
function asArray(v: unknown): Route[] {
  const ok = (r: Partial<Route>) => typeof r?.app === 'string' && typeof r.state === 'string' && Array.isArray(r.hosts) && Array.isArray(r.upstreams);
  if (!Array.isArray(v) || !v.every(ok)) throw new Error('routes: expected an array of { app, state, hosts, upstreams }');
  return v as Route[];
}
function asCerts(v: unknown): CertSet {
  const c = v as CertSet;
  if (!c || typeof c.fallback?.certPem !== 'string' || typeof c.names !== 'object') throw new Error('certs: expected { fallback, names }');
  return c;
}
function asStringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Object.values(v).some((x) => typeof x !== 'string')) throw new Error('challenges: expected { token: keyAuthorization }');
  return v as Record<string, string>;
}

/** Whether something answers on the socket (a live daemon). */
export function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}
