// What minicloud's own swarm registry keeps under <data>/registry/: its storage, the password minicloud and the nodes
// use (0600, never in argv or logs), the htpasswd line the registry checks it against, the CA the nodes trust and the
// server certificate it signs, and the registry's configuration (one normal, one read-only for garbage collection).
// Made once and kept: a restart of minicloud finds the same credentials, CA and data.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certFits, issueForIp, makeCa } from '../certs/index.ts';

/** The user minicloud and every node pull and push as. */
export const REGISTRY_USER = 'minicloud';

export interface RegistryFiles {
  dir: string;
  storage: string;
  /** `host:port` the registry listens on. */
  host: string;
  password: string;
  caPem: string;
  config: (readOnly: boolean) => string;
  log: string;
  pidFile: string;
}

const secretFile = (path: string, make: () => string): string => {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
  return value;
};

/** The registry's files for listening on `ip:port`, made where missing (the certificate again when the address moved). */
export async function registryFiles(dir: string, ip: string, port: number): Promise<RegistryFiles> {
  mkdirSync(join(dir, 'storage'), { recursive: true, mode: 0o700 });
  const f = (name: string) => join(dir, name);
  const password = secretFile(f('password'), () => randomBytes(24).toString('base64url'));
  const httpSecret = secretFile(f('http-secret'), () => randomBytes(24).toString('base64url'));
  // bcrypt is slow on purpose: the line is made again only when it does not match the kept password.
  const line = existsSync(f('htpasswd')) ? readFileSync(f('htpasswd'), 'utf8').trim() : '';
  const hash = line.startsWith(`${REGISTRY_USER}:`) ? line.slice(REGISTRY_USER.length + 1) : '';
  const { default: bcrypt } = await import('bcryptjs'); // loaded on a swarm only
  if (!hash || !(await bcrypt.compare(password, hash))) {
    writeFileSync(f('htpasswd'), `${REGISTRY_USER}:${await bcrypt.hash(password, 10)}\n`, { mode: 0o600 });
  }
  if (!existsSync(f('ca.crt')) || !existsSync(f('ca.key'))) {
    const ca = await makeCa('minicloud swarm registry CA');
    writeFileSync(f('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(f('ca.crt'), ca.certPem, { mode: 0o644 });
  }
  const ca = { certPem: readFileSync(f('ca.crt'), 'utf8'), keyPem: readFileSync(f('ca.key'), 'utf8') };
  if (!existsSync(f('tls.crt')) || !certFits(readFileSync(f('tls.crt'), 'utf8'), ca.certPem, ip)) {
    const cert = await issueForIp(ca, ip);
    writeFileSync(f('tls.key'), cert.keyPem, { mode: 0o600 });
    writeFileSync(f('tls.crt'), cert.certPem, { mode: 0o644 });
  }
  const host = `${ip}:${port}`;
  const config = (readOnly: boolean) => {
    const path = f(readOnly ? 'config-readonly.yml' : 'config.yml');
    writeFileSync(path, configYaml({ dir, host, httpSecret, readOnly }), { mode: 0o600 });
    return path;
  };
  return { dir, storage: f('storage'), host, password, caPem: ca.certPem, config, log: f('registry.log'), pidFile: f('registry.pid') };
}

/** Strings as JSON, which YAML reads as they are (a data directory may hold any character). */
function configYaml(o: { dir: string; host: string; httpSecret: string; readOnly: boolean }): string {
  const q = JSON.stringify;
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(join(o.dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    readonly:',
    `      enabled: ${o.readOnly}`,
    'http:',
    `  addr: ${q(o.host)}`,
    `  secret: ${q(o.httpSecret)}`,
    '  tls:',
    `    certificate: ${q(join(o.dir, 'tls.crt'))}`,
    `    key: ${q(join(o.dir, 'tls.key'))}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'auth:',
    '  htpasswd:',
    '    realm: minicloud-registry',
    `    path: ${q(join(o.dir, 'htpasswd'))}`,
    '',
  ].join('\n');
}
