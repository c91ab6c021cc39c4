// What minicloud holds of the router daemon once connected, and what it connects with.
import type { RouterDaemonReport } from '../core/index.ts';
import type { RouteTable } from '../routes/index.ts';
import type { CertSet, DaemonSettings } from '../../proxy/daemon/protocol.ts';

export interface RouterDaemonOptions {
  /** The daemon's directory (`<data>/router`). */
  dir: string;
  settings: DaemonSettings;
  /** Someone else (a container's restart policy, a service manager) starts the daemon: minicloud waits for it. */
  external?: boolean;
  table: RouteTable;
  /** The certificates to serve now; `certsChanged` is called again whenever they change. */
  certs: (() => CertSet) | null;
  wake: (app: string) => void;
  seen: (app: string) => void;
  /** Each access-log line (the daemon writes the file itself). */
  line: (app: string, line: string) => void;
  say: (line: string) => void;
}

export interface RouterDaemon {
  port: number;
  httpsPort: number | null;
  pid: number;
  certsChanged(): void;
  /** Resolves once the router serves with every route change made so far (a deploy retires old instances only then). */
  settled(): Promise<void>;
  challenges(map: Record<string, string>): Promise<void>;
  /** The access log's lines up to now written out (before `logs --router` reads the file). */
  flush(): Promise<void>;
  status(): Promise<RouterDaemonReport>;
  /** A new generation of router workers; no request fails. */
  restart(): Promise<RouterDaemonReport>;
  /** Stops listening to the daemon; the daemon serves on. */
  close(): void;
}

