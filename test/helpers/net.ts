// Test helpers for the network: free ports and requests through the router with a Host header.
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort as pickPort } from '../../src/runtime/free-port.ts';

/**
 * A port nothing listens on, for a server the test starts a moment later: drawn below the kernel's ephemeral range, as
 * minicloud draws its instances' ports. One from `listen(0)` is in that range, where any outgoing connection of the
 * other lanes may take it as its local port before the server binds it ("the HTTPS port 44059 is in use").
 */
export function freePort(): Promise<number> {
  return pickPort();
}

export interface Reply { status: number; body: string; headers: Record<string, string | string[] | undefined> }

export function get(port: number, host: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTPS request to 127.0.0.1:`port` for `host` (SNI and Host), whatever certificate it is served. */
export function httpsGet(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: host, headers: { host }, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls until `check` returns a value (not undefined), or throws naming `what` after `timeoutMs`: a ceiling for a
 * machine that is busy, not a bound (a test proving a bound passes its own).
 */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}, in vain${last ? `: ${String(last)}` : ''}`);
}

/**
 * Raw bytes to a server, in pieces 30 ms apart (to split a request across packets): everything it
 * answers (latin1) until it closes the connection, or until `waitMs` passes (`closed: false`).
 */
export function rawExchange(port: number, pieces: string | string[], waitMs: number, tls?: { servername: string }): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    // Over TLS (HTTP/1.1 by ALPN, any certificate): the same bytes, through the router's HTTPS listener.
    const open = (ready: () => void): Socket => tls
      ? tlsConnect({ port, host: '127.0.0.1', servername: tls.servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, ready)
      : connect(port, '127.0.0.1', ready);
    const s = open(async () => {
      for (const p of typeof pieces === 'string' ? [pieces] : pieces) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
    let text = '';
    const timer = setTimeout(() => (s.destroy(), resolve({ text, closed: false })), waitMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => (clearTimeout(timer), resolve({ text, closed: true })));
    s.on('error', reject);
  });
}

/** The status codes of every HTTP/1.1 response in a raw answer, in order. */
export const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

/**
 * One HTTP request from a chosen loopback source address (any of 127.0.0.0/8 on Linux): minicloud limits
 * failed credentials per client address, so tests can play several clients.
 */
export function requestFrom(localAddress: string, url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // A declared length: Node sends a DELETE's body unframed otherwise.
    const headers = o.body === undefined ? o.headers : { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) };
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET', headers, localAddress, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
