// What an idle minicloud carries: on its defaults (its own Redis, host processes, no backup target, no ACME e-mail,
// no add-on server, no catalog use or build yet) it loads none of the packages only some servers or some requests
// use; each is loaded on its first use (the catalog's ajv is shown here; each part's own tests show it working).
// What a process loaded is read from test/helpers/module-log.mjs (node --import), one file per process; V8's young
// generation stays at its first size (main.ts), where it grew to 32 MB on most starts before.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogList } from '../../src/core/index.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { until } from '../helpers/net.ts';

const HOOK = fileURLToPath(new URL('../helpers/module-log.mjs', import.meta.url));
/** Packages a server on its defaults has no use for until someone asks (and what asks). */
const LAZY = {
  dockerode: 'a Docker or Swarm runtime',
  'acme-client': 'an ACME e-mail (Let\'s Encrypt)',
  '@aws-sdk/client-s3': 'an off-box backup target',
  '@aws-sdk/lib-storage': 'an off-box backup target',
  ajv: 'the catalog',
  yaml: 'a build (the manifest, a Compose file)',
  mysql2: 'a MariaDB add-on',
  pg: 'a PostgreSQL add-on',
  nodemailer: 'an e-mail alert',
  '@peculiar/x509': 'a swarm registry\'s private CA (self-signed certificates are written with node:crypto)',
};

const logs = mkdtempSync(join(tmpdir(), 'mc-modlog-'));
let mc: Minicloud;

/** The packages minicloud's own process has loaded so far. */
function loaded(): Set<string> {
  const file = join(logs, `${mc.pid()}.log`);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return new Set([...text.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!));
}

beforeAll(async () => {
  mc = await startMinicloud('', { NODE_OPTIONS: `--import ${HOOK}`, MODULE_LOG_DIR: logs, MINICLOUD_RUNTIME: 'process' });
});

afterAll(async () => {
  await mc?.stop();
  rmSync(logs, { recursive: true, force: true });
});

describe('an idle minicloud loads only what it uses', () => {
  it('on its defaults, none of the packages for Docker, ACME, S3, add-ons, the catalog, builds or e-mail is loaded at start', () => {
    const at = loaded();
    // The log works: minicloud's queue and API packages are in it.
    expect([...at]).toEqual(expect.arrayContaining(['bullmq', 'express']));
    for (const [pkg, forWhat] of Object.entries(LAZY)) expect(at.has(pkg), `${pkg} (for ${forWhat}) loaded at start`).toBe(false);
  });

  it('a package is loaded at its first use: the catalog loads ajv, and answers', async () => {
    const r = await mc.api<CatalogList>('GET', '/api/catalog');
    expect(r.status).toBe(200);
    expect(r.body.entries.length).toBeGreaterThan(0);
    expect(r.body.broken).toEqual([]);
    expect(loaded().has('ajv')).toBe(true);
    expect(loaded().has('dockerode')).toBe(false);
  });

  it('keeps V8\'s young generation at its first 2 MB through the start and a burst of API requests', async () => {
    for (let i = 0; i < 40; i++) await Promise.all([mc.api('GET', '/api/catalog'), mc.api('GET', '/api/apps'), mc.api('GET', '/api/status')]);
    const file = join(logs, `${mc.pid()}.heap.json`);
    process.kill(mc.pid()!, 'SIGUSR2');
    const spaces = await until('V8\'s heap spaces written', async () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, number> : undefined));
    expect(spaces.new_space, `new space ${spaces.new_space} bytes`).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});
