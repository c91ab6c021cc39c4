// The admin edge's rules: which URL people are given, which binds warn, and how often HSTS asks about the certificate.
import { describe, expect, it } from 'vitest';
import { adminUrl, bindWarning, caCertified, edgeBanner, isLoopback } from '../../src/server/admin-edge.ts';
import { loadConfig } from '../../src/server/config.ts';

describe('admin edge', () => {
  it('binds the API to loopback and the router to every interface by default', () => {
    const cfg = loadConfig({});
    expect(cfg.bind).toBe('127.0.0.1');
    expect(cfg.routerBind).toBe('0.0.0.0');
    expect(loadConfig({ MINICLOUD_BIND: '10.0.0.5', MINICLOUD_ROUTER_BIND: '192.0.2.1' })).toMatchObject({ bind: '10.0.0.5', routerBind: '192.0.2.1' });
  });

  it('gives https://admin.<domain> when HTTPS is on and the domain is not localhost', () => {
    expect(adminUrl({ domain: 'example.com' }, 443)).toBe('https://admin.example.com');
    expect(adminUrl({ domain: 'example.com' }, 8443)).toBe('https://admin.example.com:8443');
    expect(adminUrl({ domain: 'example.com' }, null)).toBeNull();
    expect(adminUrl({ domain: 'localhost' }, 443)).toBeNull();
    expect(adminUrl({ domain: 'dev.localhost' }, 443)).toBeNull();
  });

  it('warns about any bind beyond loopback, naming the way in', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.5', '127.0.0.1.example.com']) expect(isLoopback(a), a).toBe(false);
    expect(bindWarning({ bind: '127.0.0.1', domain: 'example.com' }, null)).toBeNull();
    const w = bindWarning({ bind: '0.0.0.0', domain: 'example.com' }, 'https://admin.example.com')!;
    expect(w).toContain('MINICLOUD_BIND=0.0.0.0');
    expect(w).toContain('through the router at https://admin.example.com');
  });

  it('prints where everything answers', () => {
    expect(edgeBanner({ bind: '127.0.0.1', domain: 'example.com' }, { api: 7080, http: 80 }, 'https://admin.example.com')).toEqual([
      'minicloud is up: API and git on http://localhost:7080 (this machine only), apps on http://<app>.example.com',
      'Dashboard, API and git: https://admin.example.com (the CLI: npm install -g https://admin.example.com/cli.tgz, then minicloud login https://admin.example.com)',
    ]);
    expect(edgeBanner({ bind: '127.0.0.1', domain: 'localhost' }, { api: 7080, http: 8080 }, null)[1]).toBe('Dashboard: http://admin.localhost:8080/ (also http://localhost:7080/dashboard)');
  });

  it('asks whether the certificate is a CA one at most every ten seconds', () => {
    let now = 0;
    let asked = 0;
    let valid = false;
    const hsts = caCertified(() => { asked++; return valid; }, () => now);
    expect(hsts()).toBe(false);
    valid = true;
    now = 9_999;
    expect(hsts()).toBe(false);
    now = 10_000;
    expect(hsts()).toBe(true);
    expect(asked).toBe(2);
  });
});
