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

type Ensure = typeof ensureRouterDaemon;
type Stop = typeof stopRouterDaemon;

/**
 * `compiled`: the daemon runs minicloud's build (dist/) with plain node, as `npm start` runs it (the benchmarks);
 * otherwise the sources through tsx, as the tests run everything.
 */
export async function startRouterDaemon(o: { routes: Route[]; workers?: number; certs?: CertSet; settings?: Partial<DaemonSettings>; compiled?: boolean }): Promise<TestDaemon> {
  let ensure: Ensure = ensureRouterDaemon;
  let stopDaemon: Stop = stopRouterDaemon;
  if (o.compiled) {
    const dist = new URL('../../dist/src/router-daemon/', import.meta.url).href;
    ensure = ((await import(`${dist}start-daemon.js`)) as { ensureRouterDaemon: Ensure }).ensureRouterDaemon;
    stopDaemon = ((await import(`${dist}index.js`)) as { stopRouterDaemon: Stop }).stopRouterDaemon;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mc-router-'));
  const port = await freePort();
  const settings: DaemonSettings = {
    port, host: '127.0.0.1', domain: 'localhost', httpsPort: null, workers: o.workers ?? 1, logsDir: join(dir, 'logs'), drainMs: 30_000, ...o.settings,
  };
  const { client, status } = await ensure({ dir: join(dir, 'router'), settings, routes: o.routes, certs: o.certs ?? null, say: () => {} });
  return {
    port, dir, client, status,
    stop: async () => {
      await stopDaemon(join(dir, 'router'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
