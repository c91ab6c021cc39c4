// The admin edge: people reach the API and git as https://admin.<domain> through the router, while the API itself
// listens on loopback; the public URL, the start-up warning for a wider bind, and when HSTS may be sent.
import type { Config } from './config.ts';

/** `localhost` and `*.localhost`: a laptop, where names resolve to this machine and no CA will sign them. */
export function isLocalDomain(domain: string): boolean {
  return domain === 'localhost' || domain.endsWith('.localhost');
}

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/**
 * `https://admin.<domain>[:port]`, the URL to give people (CLI login, git remotes, GitHub webhooks), or null when
 * there is none: HTTPS off, or a localhost domain (then the API's own http://localhost:<port> on this machine).
 */
export function adminUrl(cfg: Pick<Config, 'domain'>, httpsPort: number | null): string | null {
  if (httpsPort === null || isLocalDomain(cfg.domain)) return null;
  return `https://admin.${cfg.domain}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
}

/** A warning for the start-up banner when the API and git listen beyond loopback, in plain HTTP. */
export function bindWarning(cfg: Pick<Config, 'bind' | 'domain'>, url: string | null): string | null {
  if (isLoopback(cfg.bind)) return null;
  const via = url ?? `https://admin.${cfg.domain}`;
  return [
    ` !     MINICLOUD_BIND=${cfg.bind}: the API and git listen in plain HTTP beyond this machine, and every request`,
    ' !     carries a token that anyone on the path can read and reuse.',
    ` !     Unset MINICLOUD_BIND (the default is 127.0.0.1) and reach them through the router at ${via}.`,
  ].join('\n');
}

/**
 * Whether admin.<domain> is served with a CA's certificate (HSTS is sent only then: pinning browsers to a
 * self-signed certificate would lock people out). Asked per request, remembered for ten seconds.
 */
export function caCertified(check: () => boolean, now: () => number = Date.now): () => boolean {
  let until = 0;
  let last = false;
  return () => {
    if (now() >= until) {
      last = check();
      until = now() + 10_000;
    }
    return last;
  };
}

/** The start-up banner's lines about where the API, git, the dashboard and the apps answer. */
export function edgeBanner(cfg: Pick<Config, 'bind' | 'domain'>, ports: { api: number; http: number }, url: string | null): string[] {
  const apiHost = isLoopback(cfg.bind) ? 'localhost' : cfg.bind;
  const httpSuffix = ports.http === 80 ? '' : `:${ports.http}`;
  const lines = [`minicloud is up: API and git on http://${apiHost}:${ports.api}${isLoopback(cfg.bind) ? ' (this machine only)' : ''}, apps on http://<app>.${cfg.domain}${httpSuffix}`];
  if (url) lines.push(`Dashboard, API and git: ${url} (the CLI: npm install -g ${url}/cli.tgz, then minicloud login ${url})`);
  else lines.push(`Dashboard: http://admin.${cfg.domain}${httpSuffix}/ (also http://localhost:${ports.api}/dashboard)`);
  return lines;
}

/** An address as a URL's host: IPv6 in brackets. */
export function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
