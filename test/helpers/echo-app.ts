// Test helpers for the router's hostile-input tests: an app that records exactly what reaches it, and the router on both of its paths.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startRouter, type Router, type RouterOptions } from '../../proxy/index.ts';
import type { Route } from '../../src/routes/index.ts';

/** One request as the app saw it. */
export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Its body arrived whole (the request ended) rather than being cut off. */
  complete: boolean;
}

export interface EchoApp {
  port: number;
  /** Every request that reached the app, in order of arrival. */
  seen: Received[];
  /** What the app's own (strict) parser refused: bytes the router should never have sent. */
  parseErrors: string[];
  /** Connections the router opened to the app. */
  connections: number;
  reset(): void;
  close(): Promise<void>;
}

/** An app on Node's strict parser that answers `ok <method> <url> <body bytes>` and records every request. */
export async function startEchoApp(): Promise<EchoApp> {
  const app: EchoApp = {
    port: 0, seen: [], parseErrors: [], connections: 0,
    reset: () => void ((app.seen.length = 0), (app.parseErrors.length = 0), (app.connections = 0)),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  // Heads up to 64 KiB: whatever the router lets through (24 KiB at most), the app takes.
  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', complete: false };
    app.seen.push(r);
    req.setEncoding('latin1');
    req.on('data', (c: string) => (r.body += c));
    req.on('end', () => {
      r.complete = true;
      res.end(`ok ${r.method} ${r.url} ${r.body.length}`);
    });
  });
  server.on('connection', () => app.connections++);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    app.parseErrors.push(err.code ?? err.message);
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  app.port = (server.address() as AddressInfo).port;
  return app;
}

export type PathName = 'fast' | 'slow';
export const PATHS: PathName[] = ['fast', 'slow'];

/** The same router twice: with its fast path (the default) and with every request on Node's server. */
export async function startBothRouters(opts: Omit<RouterOptions, 'port' | 'fastPath'>): Promise<Record<PathName, Router>> {
  const fast = await startRouter({ port: 0, host: '127.0.0.1', ...opts });
  const slow = await startRouter({ port: 0, host: '127.0.0.1', ...opts, fastPath: false });
  return { fast, slow };
}

/** Waits until `check` holds, polling every 10 ms; throws naming `what` after `ms`. */
export async function waitUntil(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RouterProcess {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The router alone in a child process (router-process.ts), so its stalls and memory are its own. */
export function startRouterProcess(routes: Route[], path: PathName): Promise<RouterProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/router-process.ts', JSON.stringify(routes), path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const stop = async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    };
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /router listening on (\d+)/.exec(out);
      if (m) resolve({ pid: proc.pid!, port: Number(m[1]), stop });
    });
    proc.once('exit', (code) => reject(new Error(`the router process exited with ${code}: ${out}`)));
  });
}
