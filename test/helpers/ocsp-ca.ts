// Test helper: a CA of the test's own made with `openssl` (root, intermediate, a delegated OCSP responder, a stranger's
// CA), leaves whose Authority Information Access names an OCSP URL, and `openssl ocsp` as the real responder, behind a
// small relay that picks, by the URL's first path segment, what a leaf's responder does: answer (`ok`), answer signed
// by a stranger (`stranger`), answer about another certificate (`other`), send garbage (`garbage`), never answer (`slow`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from './net.ts';

export type Behaviour = 'ok' | 'stranger' | 'other' | 'garbage' | 'slow';

export interface TestCa {
  dir: string;
  /** The root's PEM (what a client trusts). */
  root: string;
  /** The relay's port (every leaf's OCSP URL is http://127.0.0.1:<port>/<behaviour>). */
  port: number;
  /** A leaf for `name` (chain: leaf, intermediate) with `serial` (hex); `url` overrides its OCSP URL; null: it names none. */
  leaf(name: string, serial: string, behaviour: Behaviour | { url: string } | null): { certPem: string; keyPem: string };
  /** Starts the responders, once the leaves are made (`openssl ocsp` reads its index late after a change). */
  answer(): Promise<void>;
  /** Marks a serial revoked in the responder's index (the responder re-reads it). */
  revoke(serial: string): Promise<void>;
  /** Requests each behaviour's responder got. */
  asked: Record<string, number>;
  /** While true, the relay drops every request's connection unanswered (the CA's responder is down). */
  offline: boolean;
  stop(): Promise<void>;
}

const EXT = `[ca]
basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign,cRLSign
[responder]
basicConstraints=CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
`;

const ossl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const newKey = (dir: string, name: string) => ossl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);

function issue(dir: string, name: string, cn: string, ca: string, ext: string, serial: string): void {
  newKey(dir, name);
  ossl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
  ossl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', `0x${serial}`, '-days', '3', '-extfile', 'ext.cnf', '-extensions', ext, '-out', `${name}.pem`]);
}

function selfSigned(dir: string, name: string, cn: string): void {
  newKey(dir, name);
  ossl(dir, ['req', '-x509', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '3', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature', '-out', `${name}.pem`]);
}

/** `openssl ocsp` answering for the intermediate's certificates from `index.txt`, signed by `signer`, answers valid `nmin` minutes. */
async function responder(dir: string, signer: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('openssl', ['ocsp', '-index', 'index.txt', '-port', String(port), '-rsigner', `${signer}.pem`, '-rkey', `${signer}.key`, '-CA', 'int.pem', '-nmin', '1', '-ignore_err'], { cwd: dir, stdio: 'ignore' });
  await until(`openssl ocsp on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => undefined)), 30_000);
  return { port, proc };
}

export async function startTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-ocsp-ca-'));
  writeFileSync(join(dir, 'ext.cnf'), EXT);
  writeFileSync(join(dir, 'index.txt'), '');
  selfSigned(dir, 'root', 'minicloud test root');
  issue(dir, 'int', 'minicloud test intermediate', 'root', 'ca', '1001');
  issue(dir, 'delegate', 'minicloud test OCSP responder', 'int', 'responder', '1002');
  selfSigned(dir, 'stranger', 'a stranger');
  let good: { port: number; proc: ChildProcess } | null = null;
  let strange: { port: number; proc: ChildProcess } | null = null;
  const port = await freePort();
  const index = new Map<string, string>();
  const asked: Record<string, number> = {};
  const writeIndex = () => writeFileSync(join(dir, 'index.txt'), [...index.values()].join(''));
  const expiry = new Date(Date.now() + 3 * 86400_000).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  let otherRequest: Buffer | null = null;

  const relay = http.createServer((req, res) => {
    const [, behaviour = '', ...rest] = (req.url ?? '/').split('/');
    asked[behaviour] = (asked[behaviour] ?? 0) + 1;
    if (ca.offline) return void req.socket.destroy();
    if (behaviour === 'slow') return; // holds the request until the client gives up
    if (behaviour === 'garbage') return void res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end('this is not DER at all');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const to = behaviour === 'stranger' ? strange?.port : good?.port;
      if (!to) return void res.writeHead(503).end();
      // `other`: the responder's answer about another certificate of the same CA, whatever was asked.
      const body = behaviour === 'other' ? otherRequest : req.method === 'POST' ? Buffer.concat(chunks) : null;
      const path = body ? '/' : `/${rest.join('/')}`;
      fetch(`http://127.0.0.1:${to}${path}`, body ? { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/ocsp-request' } } : {})
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/ocsp-response' }).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));

  const ca: TestCa = {
    dir, port, asked, offline: false,
    root: readFileSync(join(dir, 'root.pem'), 'utf8'),
    leaf(name, serial, behaviour) {
      const url = typeof behaviour === 'string' ? `http://127.0.0.1:${port}/${behaviour}` : behaviour?.url;
      const f = `leaf-${serial}`;
      writeFileSync(join(dir, `${f}.cnf`), `basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${name}\n${url ? `authorityInfoAccess=OCSP;URI:${url}\n` : ''}`);
      newKey(dir, f);
      ossl(dir, ['req', '-new', '-key', `${f}.key`, '-subj', `/CN=${name}`, '-out', `${f}.csr`]);
      ossl(dir, ['x509', '-req', '-in', `${f}.csr`, '-CA', 'int.pem', '-CAkey', 'int.key', '-set_serial', `0x${serial}`, '-days', '2', '-extfile', `${f}.cnf`, '-out', `${f}.pem`]);
      index.set(serial, `V\t${expiry}\t\t${serial.toUpperCase()}\tunknown\t/CN=${name}\n`);
      writeIndex();
      if (!otherRequest) {
        ossl(dir, ['ocsp', '-issuer', 'int.pem', '-cert', `${f}.pem`, '-reqout', 'other.req', '-no_nonce']);
        otherRequest = readFileSync(join(dir, 'other.req'));
      }
      return { certPem: readFileSync(join(dir, `${f}.pem`), 'utf8') + readFileSync(join(dir, 'int.pem'), 'utf8'), keyPem: readFileSync(join(dir, `${f}.key`), 'utf8') };
    },
    answer: async () => {
      good = await responder(dir, 'delegate');
      strange = await responder(dir, 'stranger');
    },
    async revoke(serial) {
      const now = new Date().toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
      index.set(serial, index.get(serial)!.replace(/^V\t([^\t]+)\t\t/, `R\t$1\t${now}\t`));
      writeIndex();
      // `openssl ocsp` sees the change only after the next request it serves (with the old index): one it is.
      await fetch(`http://127.0.0.1:${good!.port}/`, { method: 'POST', body: new Uint8Array(otherRequest!), headers: { 'content-type': 'application/ocsp-request' } }).then((r) => r.arrayBuffer());
    },
    stop: async () => {
      relay.closeAllConnections();
      await new Promise<void>((r) => relay.close(() => r()));
      for (const p of [good?.proc, strange?.proc]) p?.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ca;
}
