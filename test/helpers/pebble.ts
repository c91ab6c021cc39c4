// Test helper: Pebble (Let's Encrypt's test CA, Debian's `pebble`) and its fake DNS, on free ports.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from './net.ts';

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** PEM file of the CA that signed Pebble's own HTTPS listener (for MINICLOUD_ACME_CA_BUNDLE). */
  listenerCa: string;
  /** The per-run root that Pebble's certificates chain to (from its management interface). */
  root(): Promise<string>;
  /** Everything Pebble printed: each order's names and validations are in it. */
  output(): string;
  /** Makes Pebble's DNS answer `host` with `ip` instead of 127.0.0.1 (e.g. an address nothing listens on). */
  pointAt(host: string, ip: string): Promise<void>;
  /** Back to 127.0.0.1 for `host`. */
  unpoint(host: string): Promise<void>;
  stop(): Promise<void>;
}

/** GET over HTTPS trusting `ca`; the body as text. */
export function httpsText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts pebble-challtestsrv (DNS answering 127.0.0.1 for every name) and Pebble, which sends its
 * HTTP-01 checks to `httpPort` (the router's plain HTTP port).
 */
/** Resolves once the HTTPS listener on `port` serves `host` a certificate issued by Pebble (not the self-signed one). */
export function untilPebbleIssued(port: number, host: string, timeoutMs: number): Promise<true> {
  const issuer = () => new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: host, rejectUnauthorized: false, timeout: 10_000 }, () => {
      resolve(String(s.getPeerCertificate().issuer?.CN ?? ''));
      s.destroy();
    });
    s.on('error', reject);
  });
  return until(`a CA certificate for ${host}`, async () => ((await issuer()).startsWith('Pebble') ? true : undefined), timeoutMs);
}

export async function startPebble(httpPort: number): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-pebble-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  // Pebble ships no certificate for its own listener: a small CA and a localhost certificate.
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=minicloud test: Pebble listener CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'localhost.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'localhost.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf');
  const [dnsPort, dnsAdmin, acmePort, mgmtPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem'),
      httpPort, tlsPort, ocspResponderURL: '', externalAccountBindingRequired: false,
    },
  }));

  let out = '';
  const children: ChildProcess[] = [];
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
    const c = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => (out += d));
    c.stderr!.on('data', (d: Buffer) => (out += d));
    children.push(c);
  };
  run('pebble-challtestsrv', ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsAdmin}`]);
  // No sleeping before validations, no nonce rejections (the test is about minicloud, not retries), and
  // no reuse of earlier authorizations: every order, renewals too, goes through a fresh HTTP-01 challenge.
  run('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0',
  });

  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  const stop = async () => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('Pebble', async () => ((await httpsText(directory, ca)).status === 200 ? true : undefined));
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    directory,
    listenerCa: join(dir, 'ca.pem'),
    root: async () => (await httpsText(`https://127.0.0.1:${mgmtPort}/roots/0`, ca)).body,
    output: () => out,
    pointAt: (host, ip) => dnsAdminPost(dnsAdmin, '/add-a', { host: `${host}.`, addresses: [ip] }),
    unpoint: (host) => dnsAdminPost(dnsAdmin, '/clear-a', { host: `${host}.` }),
    stop,
  };
}

async function dnsAdminPost(port: number, path: string, body: unknown): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`pebble-challtestsrv ${path}: HTTP ${res.status} ${await res.text()}`);
}
