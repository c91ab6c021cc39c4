// Harness of the CLI contract tests: main() against a real node:http server with canned API answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { AppInfo, Deploy, Instance } from '../../src/core/index.ts';

export interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}
export type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>;
export interface RunOpts {
  env?: Record<string, string | undefined>;
  stdin?: string;
  cwd?: string;
}

export interface CliServer {
  baseUrl: string;
  home: string;
  /** Requests received in this test, in order. */
  seen: Seen[];
  /** Answers requests; reset to a 500 before each test. */
  handler: Handler;
  /** The stdout of the run in progress, so a server handler can see what the CLI printed so far. */
  liveStdout(): string;
  run(argv: string[], opts?: RunOpts): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Closes the server early (afterEach then skips it). */
  stop(): Promise<void>;
}

/** Registers beforeEach/afterEach that start a fresh server and home directory for every test. */
export function useCliServer(): CliServer {
  let server: Server | undefined;
  let out: string[] = [];
  const srv: CliServer = {
    baseUrl: '',
    home: '',
    seen: [],
    handler: () => {},
    liveStdout: () => out.join(''),
    async run(argv, opts = {}) {
      out = [];
      const stdout = out;
      const err: string[] = [];
      const env = { HOME: srv.home, XDG_CONFIG_HOME: join(srv.home, 'xdg'), MINICLOUD_URL: srv.baseUrl, MINICLOUD_TOKEN: 'tok-123', ...opts.env };
      const code = await main(argv, {
        stdout: { write: (s: string) => stdout.push(s) },
        stderr: { write: (s: string) => err.push(s) },
        stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
        env,
        cwd: opts.cwd ?? srv.home,
      });
      return { code, stdout: stdout.join(''), stderr: err.join('') };
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((ok) => s.close(ok));
    },
  };

  beforeEach(async () => {
    srv.seen = [];
    srv.handler = (_req, res) => sendJson(res, 500, { error: 'no route in this test' });
    srv.home = mkdtempSync(join(tmpdir(), 'minicloud-cli-'));
    const s = createServer(async (req: IncomingMessage, res) => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const rec = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined };
      srv.seen.push(rec);
      await srv.handler(rec, res);
    });
    server = s;
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    srv.baseUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await srv.stop();
    rmSync(srv.home, { recursive: true, force: true });
  });

  return srv;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Polls until the CLI has printed `text` (or 5 s passed); true when it has. */
export async function printed(srv: CliServer, text: string): Promise<boolean> {
  const started = Date.now();
  while (!srv.liveStdout().includes(text) && Date.now() - started < 5000) await new Promise((ok) => setTimeout(ok, 10));
  return srv.liveStdout().includes(text);
}

export const app: AppInfo = {
  name: 'my-app',
  deployBranch: 'main',
  createdAt: '2024-05-01T12:00:00Z',
  currentRelease: null,
  state: 'running',
  maintenance: false,
  memoryMb: null,
  cpu: null,
  pids: null,
  sleepAfterSeconds: null,
  url: 'http://my-app.localhost:7080',
  gitUrl: 'http://localhost:7080/git/my-app.git',
};

export function deploy(over: Partial<Deploy>): Deploy {
  const base: Deploy = { id: 'd1', app: 'my-app', kind: 'release', status: 'succeeded', ref: null, commit: null, commitAuthor: null, commitMessage: null, release: 4, error: null, createdAt: '', finishedAt: '' };
  return { ...base, ...over };
}

export function instance(over: Partial<Instance>): Instance {
  const base: Instance = {
    id: 'i1',
    app: 'my-app',
    release: 3,
    type: 'web',
    host: '127.0.0.1',
    port: 40123,
    pid: 1,
    state: 'up',
    startedAt: new Date().toISOString(),
    restarts: 0,
    nextRestartAt: null,
  };
  return { ...base, ...over };
}
