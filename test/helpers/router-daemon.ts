// Test helper: the router daemon (proxy/daemon) on its own, as minicloud starts it, with a table of the test's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRouterDaemon } from '../../src/router-daemon/start-daemon.ts';
import { stopRouterDaemon, type ControlClient } from '../../src/router-daemon/index.ts';
import type { CertSet, DaemonSettings, DaemonStatus, Route } from '../../proxy/daemon/protocol.ts';
import { freePort } from './net.ts';

export interface TestDaemon {
  port: number;
  dir: string;
  client: ControlClient;
  status: DaemonStatus;
  stop(): Promise<void>;
}

export async function startRouterDaemon(o: { routes: Route[]; workers?: number; certs?: CertSet; settings?: Partial<DaemonSettings> }): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-router-'));
  const port = await freePort();
  const settings: DaemonSettings = {
    port, host: '127.0.0.1', domain: 'localhost', httpsPort: null, workers: o.workers ?? 1, logsDir: join(dir, 'logs'), drainMs: 30_000, ...o.settings,
  };
  const { client, status } = await ensureRouterDaemon({ dir: join(dir, 'router'), settings, routes: o.routes, certs: o.certs ?? null, say: () => {} });
  return {
    port, dir, client, status,
    stop: async () => {
      await stopRouterDaemon(join(dir, 'router'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
