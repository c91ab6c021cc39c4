// Test helper: a TCP relay from an address app containers reach (the Docker bridge's gateway, the host's side) to a
// shared server the test started on loopback, as an operator's MINICLOUD_<KIND>_APP_HOST points apps at the host.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { docker } from './docker.ts';

export interface Relay {
  /** host:port for MINICLOUD_<KIND>_APP_HOST. */
  appHost: string;
  close(): Promise<void>;
}

/** The gateway of the engine's default bridge: an address of this host that every container can reach. */
export function bridgeGateway(): string {
  const cfg = JSON.parse(docker('network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}')) as Array<{ Subnet?: string; Gateway?: string }>;
  const v4 = cfg.find((c) => c.Subnet?.includes('.'));
  if (v4?.Gateway) return v4.Gateway;
  // An engine that leaves the gateway out of IPAM uses the subnet's first address.
  const m = /^(\d+\.\d+\.\d+)\.0\//.exec(v4?.Subnet ?? '');
  if (!m) throw new Error(`the engine's bridge network has no IPv4 subnet: ${JSON.stringify(cfg)}`);
  return `${m[1]}.1`;
}

/** Relays connections on `host` (a free port) to 127.0.0.1:`port`, byte for byte. */
export function startRelay(host: string, port: number): Promise<Relay> {
  const open = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => { inbound.destroy(); outbound.destroy(); });
      s.on('close', () => open.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address() as { port: number };
      resolve({
        appHost: `${host}:${addr.port}`,
        close: () => new Promise<void>((r) => { for (const s of open) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
