// One router worker of the daemon: serves the shared ports (plain, and HTTPS with HTTP/2) with the table, certificates,
// TLS ticket keys and ACME tokens the primary sends.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { RouteTable } from '../../src/routes/index.ts';
import { startRouter, type Router } from '../index.ts';
import type { Staples } from '../ocsp/stapler.ts';
import { TLS_DEFAULTS } from '../tls.ts';
import type { CertSet, DaemonSettings, Pem, Route } from './protocol.ts';

export type ToWorker =
  | { t: 'start'; settings: DaemonSettings; routes: Route[]; certs: CertSet | null; challenges: Record<string, string>; controlPlane: boolean; ticketKeys: string; staples: Staples }
  | { t: 'tickets'; keys: string }
  | { t: 'staples'; staples: Staples }
  | { t: 'routes'; routes: Route[]; seq: number }
  | { t: 'certs'; certs: CertSet }
  | { t: 'challenges'; challenges: Record<string, string> }
  | { t: 'control'; up: boolean }
  | { t: 'drain' }
  | { t: 'flush' };
export type ToPrimary =
  | { t: 'hello' }
  | { t: 'ready'; port: number; httpsPort: number | null }
  | { t: 'failed'; error: string }
  | { t: 'wake'; app: string }
  | { t: 'seen'; apps: string[] }
  | { t: 'log'; lines: Array<[string | null, string]> }
  | { t: 'flushed' }
  | { t: 'applied'; seq: number };

const send = (m: ToPrimary) => process.send?.(m);
const table = new RouteTable();
let router: Router | null = null;
let challenges: Record<string, string> = {};
let contexts = new Map<string, SecureContext>();
let fallback: SecureContext | null = null;
let controlPlane = true;
// The latest TLS ticket keys the primary sent (a rotation may come while this worker is still starting).
let ticketKeys: Buffer | null = null;
// The OCSP answers the primary fetched and checked, by the SHA-256 of the certificate they are about.
let staples = new Map<string, { der: Buffer; expires: number }>();
const loadStaples = (next: Staples) => {
  staples = new Map(Object.entries(next).map(([fp, s]) => [fp, { der: Buffer.from(s.der, 'base64'), expires: s.expires }]));
};
/** The answer to staple to a handshake serving `cert` (DER): a current one, else none (the handshake never waits). */
const stapleFor = (cert: Buffer): Buffer | null => {
  const s = staples.get(createHash('sha256').update(cert).digest('hex'));
  return s && s.expires > Date.now() ? s.der : null;
};
// Handshakes for a served name whose certificate minicloud is still making (a domain just added).
const certWaiters = new Set<() => void>();
const CERT_WAIT_MS = 5000;
let drainMs = 30_000;

// Callbacks go to the primary in batches: one IPC message per tick of traffic, not per request.
const FLUSH_MS = 50;
let lines: Array<[string | null, string]> = [];
let seen = new Set<string>();
let timer: NodeJS.Timeout | null = null;
const flush = () => {
  timer = null;
  if (lines.length) send({ t: 'log', lines });
  if (seen.size) send({ t: 'seen', apps: [...seen] });
  lines = [];
  seen = new Set();
};
const later = () => void (timer ??= setTimeout(flush, FLUSH_MS));

const contextOf = (p: Pem) => createSecureContext({ key: p.keyPem, cert: p.certPem, ...TLS_DEFAULTS });
function loadCerts(certs: CertSet): void {
  const next = new Map<string, SecureContext>();
  for (const [name, pem] of Object.entries(certs.names)) {
    try {
      next.set(name, contextOf(pem));
    } catch {
      // a broken pair serves the fallback, as minicloud's own Certificates would
    }
  }
  contexts = next;
  fallback = contextOf(certs.fallback);
  for (const f of [...certWaiters]) f();
}

function known(host: string): SecureContext | undefined {
  const dot = host.indexOf('.');
  return contexts.get(host) ?? (dot > 0 ? contexts.get(`*.${host.slice(dot + 1)}`) : undefined);
}

/**
 * The certificate for an SNI name: its own, else its wildcard's, else the fallback. A name the table serves
 * but has none yet (minicloud makes a self-signed one as the name is added) waits for it, a few seconds at most.
 */
async function contextFor(servername: string): Promise<SecureContext> {
  const host = servername.toLowerCase().replace(/\.$/, '');
  const now = known(host);
  if (now || !table.serves(host)) return now ?? fallback!;
  await new Promise<void>((resolve) => {
    const done = () => (certWaiters.delete(check), clearTimeout(t), resolve());
    const check = () => { if (known(host)) done(); };
    const t = setTimeout(done, CERT_WAIT_MS);
    certWaiters.add(check);
  });
  return known(host) ?? fallback!;
}

async function start(m: Extract<ToWorker, { t: 'start' }>): Promise<void> {
  const s = m.settings;
  table.replace(m.routes);
  challenges = m.challenges;
  controlPlane = m.controlPlane;
  drainMs = s.drainMs;
  ticketKeys ??= Buffer.from(m.ticketKeys, 'base64');
  if (m.certs) loadCerts(m.certs);
  if (staples.size === 0) loadStaples(m.staples);
  const tls = s.httpsPort !== null && m.certs;
  router = await startRouter({
    port: s.port, host: s.host, domain: s.domain, timeoutMs: s.timeoutMs, wakeTimeoutMs: s.wakeTimeoutMs, startingHoldMs: s.startingHoldMs,
    trustedProxies: s.trustedProxies, upstreamConnections: s.upstreamConnections, table,
    ...(tls && { https: { port: s.httpsPort!, fallback: m.certs!.fallback, context: contextFor, ticketKeys, staple: stapleFor }, httpsPort: s.httpsPort! }),
    challenge: (token) => challenges[token] ?? null,
    controlPlane: () => controlPlane,
    wake: (app) => send({ t: 'wake', app }),
    onRequest: (app) => void (seen.add(app), later()),
    log: (line, app) => void (lines.push([app, line]), lines.length >= 500 ? flush() : later()),
    health: (line, app) => void (lines.push([app, line]), later()),
  });
  router.setTicketKeys(ticketKeys);
  send({ t: 'ready', port: router.port, httpsPort: router.httpsPort });
}

async function drain(): Promise<void> {
  await router?.drain(drainMs);
  if (timer) clearTimeout(timer);
  flush();
  process.disconnect?.();
  process.exit(0);
}

process.on('message', (m: ToWorker) => {
  if (m.t === 'routes') {
    table.replace(m.routes);
    send({ t: 'applied', seq: m.seq });
  }
  else if (m.t === 'certs') loadCerts(m.certs);
  else if (m.t === 'staples') loadStaples(m.staples);
  else if (m.t === 'tickets') router?.setTicketKeys((ticketKeys = Buffer.from(m.keys, 'base64')));
  else if (m.t === 'challenges') challenges = m.challenges;
  else if (m.t === 'control') controlPlane = m.up;
  else if (m.t === 'start') start(m).catch((e: unknown) => send({ t: 'failed', error: String((e as Error)?.message ?? e) }));
  else if (m.t === 'drain') void drain();
  else if (m.t === 'flush') {
    if (timer) clearTimeout(timer);
    flush();
    send({ t: 'flushed' });
  }
});
// Messages that arrive before a listener exists are lost: say when there is one.
send({ t: 'hello' });
// The primary went away (killed): so do we, at once; the ports go with it.
process.on('disconnect', () => process.exit(0));
