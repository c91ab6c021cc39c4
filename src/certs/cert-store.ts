// The certificates on disk: <data>/certs/<domain>/{cert.pem,key.pem,meta.json}, keys mode 0600, directories 0700.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertMeta, IssuedCert } from './types.ts';

export interface StoredCert {
  meta: CertMeta;
  /** Null when only a failure record exists, or the files do not belong together. */
  cert: IssuedCert | null;
}

/** A wildcard's directory: `*` would be awkward in a shell; `_` never appears in a valid domain. */
const dirName = (domain: string) => domain.replace(/^\*\./, '_wildcard.');
const domainOf = (dir: string) => dir.replace(/^_wildcard\./, '*.');

export const emptyMeta = (domain: string): CertMeta => ({ domain, failures: 0, lastError: null, lastAttempt: null, nextAttempt: null });

export class CertStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }

  /** Every stored domain with its files; broken entries come back with `cert: null`. */
  loadAll(): StoredCert[] {
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('_acme') && e.name !== '_custom') // the account key; users' own certificates
      .map((e) => this.load(domainOf(e.name)))
      .filter((s): s is StoredCert => s !== null);
  }

  load(domain: string): StoredCert | null {
    const d = join(this.dir, dirName(domain));
    const metaFile = join(d, 'meta.json');
    if (!existsSync(metaFile)) return null;
    let meta: CertMeta;
    try {
      meta = { ...emptyMeta(domain), ...(JSON.parse(readFileSync(metaFile, 'utf8')) as Partial<CertMeta>), domain };
    } catch {
      return null;
    }
    let cert: IssuedCert | null = null;
    try {
      const pair = { certPem: readFileSync(join(d, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(d, 'key.pem'), 'utf8') };
      // The three files are replaced one by one: a crash in between leaves a key that is not the
      // certificate's (or a serial the meta does not name); then the entry counts as having none.
      const x = new X509Certificate(pair.certPem);
      if (x.checkPrivateKey(createPrivateKey(pair.keyPem)) && x.serialNumber === meta.serial) cert = pair;
    } catch {
      cert = null;
    }
    return { meta, cert };
  }

  /** Forgets a domain's files. */
  remove(domain: string): void {
    rmSync(join(this.dir, dirName(domain)), { recursive: true, force: true });
  }

  /** Writes a new certificate (its details read from it into the meta), or only the meta. */
  save(meta: CertMeta, cert?: IssuedCert): CertMeta {
    const d = join(this.dir, dirName(meta.domain));
    mkdirSync(d, { recursive: true, mode: 0o700 });
    let next = meta;
    if (cert) {
      next = { ...meta, ...describe(cert.certPem) };
      atomicWrite(join(d, 'key.pem'), cert.keyPem, 0o600);
      atomicWrite(join(d, 'cert.pem'), cert.certPem, 0o644);
    }
    atomicWrite(join(d, 'meta.json'), JSON.stringify(next, null, 2) + '\n', 0o600);
    return next;
  }
}

/** Serial, issuer and validity of the leaf certificate of a PEM chain. */
export function describe(certPem: string): Pick<CertMeta, 'serial' | 'issuer' | 'notBefore' | 'notAfter'> {
  const x = new X509Certificate(certPem);
  const field = (name: string) => x.issuer.split('\n').find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
  return {
    serial: x.serialNumber,
    issuer: field('CN') ?? field('O') ?? x.issuer.replace(/\n/g, ', '),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
  };
}

function atomicWrite(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode); // writeFileSync's mode does not apply to a file left over from a crash
  renameSync(tmp, file);
}
