// proxy: the HTTP edge server; sends each request (and WebSocket) by Host header to an app instance.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { validateAppName } from '../src/core/index.ts';
import type { RouteTable, Upstream } from '../src/router/index.ts';
import { armTimeout, isTimeout, setForwardedHeaders, startExchange, type Exchange } from './forward.ts';
import { noAppPage, notAnsweringPage, notRunningPage, sendPage, stoppedPage, timedOutPage } from './pages.ts';
import { handleUpgrade, watchUpgrades, type UpgradeContext } from './upgrade.ts';

export interface RouterOptions {
  port: number;
  host?: string;
  table: RouteTable;
  /** Apps live at `<app>.<domain>`; only used for hints on the 404 page. */
  domain: string;
  /** Receives one access-log line per request: `method host path status bytes durationMs requestId`. */
  log?: (line: string) => void;
  /** Upstream idle timeout (ms) before a 504; default 30 s. */
  timeoutMs?: number;
}

export interface Router {
  /** The bound port (useful with `port: 0`). */
  port: number;
  close(): Promise<void>;
}

export async function startRouter(opts: RouterOptions): Promise<Router> {
  const { table } = opts;
  const domain = opts.domain.toLowerCase().replace(/^\.+|\.+$/g, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // One keep-alive pool for all upstream requests: instances are local, so reusing
  // connections saves a handshake per request. WebSockets get their own connections.
  const agent = new http.Agent({ keepAlive: true });
  // xfwd stays off: http-proxy would append to client-supplied X-Forwarded-*; forward.ts overwrites.
  const proxy = httpProxy.createProxyServer({ xfwd: false });
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const log = (method: string, path: string, ex: Exchange) => {
    const ms = Math.round(performance.now() - ex.start);
    try {
      opts.log?.(`${method} ${ex.host ?? '-'} ${path} ${ex.status} ${ex.bytes} ${ms} ${ex.id}`);
    } catch {
      // a broken logger must not take the router down
    }
  };

  // Errors arrive through the per-call callbacks below; http-proxy re-throws an 'error' event
  // that has no listener of its own, so this one only keeps it quiet.
  proxy.on('error', () => {});
  proxy.on('proxyReq', (proxyReq) => armTimeout(proxyReq, timeoutMs));
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const ex = exchanges.get(req);
    if (ex) {
      proxyRes.headers['x-request-id'] = ex.id; // the app may not override the router's id
      proxyRes.on('data', (chunk: Buffer) => (ex.bytes += chunk.length));
    }
    // An app that dies mid-body: without this the client would wait for the rest forever.
    proxyRes.once('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const ex = startExchange(req);
    exchanges.set(req, ex);
    res.setHeader('x-request-id', ex.id);
    res.once('close', () => {
      // 499 (nginx's "client closed request") when the client left before any answer.
      ex.status = res.headersSent ? res.statusCode : 499;
      log(req.method ?? '-', req.url ?? '-', ex);
    });

    const match = table.lookup(req.headers.host);
    if (!match) {
      ex.bytes = sendPage(res, noAppPage(displayHost(req, ex.host), domain, suggestName(ex.host, domain)));
      return;
    }
    const { route, upstream } = match;
    if (route.state === 'stopped' || !upstream) {
      ex.bytes = sendPage(res, route.state === 'stopped' ? stoppedPage(route.app) : notRunningPage(route.app));
      return;
    }
    setForwardedHeaders(req, ex.id);
    // Node already answered any `Expect: 100-continue`; forwarding it would also stop
    // http-proxy from emitting 'proxyReq', and with it our timeout.
    delete req.headers.expect;
    const options = { target: target(upstream), agent, headers: { connection: 'keep-alive' } };
    proxy.web(req, res, options, (err) => {
      if (res.headersSent) {
        res.destroy(); // too late for a page: cut the client off so it sees a broken response
        return;
      }
      ex.bytes = sendPage(res, isTimeout(err) ? timedOutPage(route.app, timeoutMs) : notAnsweringPage(route.app));
      // Drain what is left of an unsent body so the client reads our page and the
      // connection stays usable, instead of stalling on a paused upload.
      if (!req.complete) req.resume();
    });
  };

  const server = http.createServer(onRequest);
  server.on('connection', track);
  // Accept errors (e.g. EMFILE) are emitted on the server; unhandled they would crash it.
  const swallow = () => {};
  const ctx: UpgradeContext = { table, proxy, exchanges, track, log, target, timeoutMs };
  watchUpgrades(ctx);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(ctx, req, socket, head));

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      agent.destroy();
      proxy.close();
    }));

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        server.on('error', swallow);
        resolve();
      });
    });
  } catch (e) {
    await close();
    throw e;
  }
  return { port: (server.address() as AddressInfo).port, close };
}

function target(u: Upstream) {
  return { protocol: 'http:', host: u.host, port: u.port };
}

/** What to call the host on the 404 page: the normalized name, else the raw header, bounded. */
function displayHost(req: IncomingMessage, host: string | null): string {
  return host ?? (req.headers.host ? req.headers.host.slice(0, 200) : '(no Host header)');
}

/** `foo.<domain>` → `foo`, when that would be a valid app name, for a copy-pasteable hint. */
function suggestName(host: string | null, domain: string): string | null {
  if (!host || !domain || !host.endsWith(`.${domain}`)) return null;
  try {
    return validateAppName(host.slice(0, -domain.length - 1));
  } catch {
    return null;
  }
}
