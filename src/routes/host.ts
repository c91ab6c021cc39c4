// Host-name parsing for the route table: turns a Host header or a route's host into a canonical key.

// One DNS-ish label: letters, digits, dash, underscore (some tooling emits `_`), at most 63 chars.
const LABEL = /^[a-z0-9_-]{1,63}$/;
const PORT = /^[0-9]{1,5}$/;
// A bracketed IPv6 literal, as it appears in a Host header.
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;

/**
 * Canonical form of a Host header: port stripped, lowercased, trailing dot dropped.
 * Returns null for anything that is not a plain host name or IP literal, so a hostile
 * header (`a/b`, `x@y`, `a..b`, spaces) can never match a route or reach a page unescaped.
 */
export function normalizeHost(hostHeader: string | undefined): string | null {
  if (typeof hostHeader !== 'string') return null;
  // The router asks for every request, several times, and clients send a handful of distinct Hosts:
  // remember recent answers (bounded, so a flood of made-up names cannot grow it).
  const known = memo.get(hostHeader);
  if (known !== undefined) return known;
  if (memo.size >= MEMO_MAX) memo.clear();
  const host = parseHost(hostHeader);
  memo.set(hostHeader, host);
  return host;
}

const memo = new Map<string, string | null>();
const MEMO_MAX = 4096;

function parseHost(hostHeader: string): string | null {
  let host = hostHeader.toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0 || !validPort(host.slice(end + 1))) return null;
    host = host.slice(0, end + 1);
    return IPV6.test(host) ? host : null;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!validPort(host.slice(colon))) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return validName(host) ? host : null;
}

/** A route's host: like a header's, but a leading `*.` (one-label wildcard) is allowed and no port. */
export function normalizeRouteHost(host: string): string | null {
  if (host.includes(':')) return null; // a route names hosts, never ports or IP literals
  const wildcard = host.startsWith('*.');
  const rest = normalizeHost(wildcard ? host.slice(2) : host);
  if (rest === null) return null;
  return wildcard ? `*.${rest}` : rest;
}

/** `:8080` or nothing; anything else (`:`, `:x`, `:1:2`) is invalid. */
function validPort(suffix: string): boolean {
  if (suffix === '') return true;
  return suffix.startsWith(':') && PORT.test(suffix.slice(1)) && Number(suffix.slice(1)) <= 65535;
}

function validName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => LABEL.test(label));
}
