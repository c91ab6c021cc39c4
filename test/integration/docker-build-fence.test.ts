// A repository's Dockerfile cannot reach the host from its build: RUN steps are refused on the host's ports
// (and private networks) while the internet still answers; ADD <url>, which the engine fetches itself, is refused.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, dockerHost } from '../helpers/docker.ts';
import { git, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const NETWORK = `mc-fence-${randomBytes(3).toString('hex')}`;
let redis: TestRedis;
let mc: Minicloud;
let host: Server;
let hostPort: number;

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url, { MINICLOUD_RUNTIME: 'docker', DOCKER_HOST: dockerHost(), MINICLOUD_DOCKER_NETWORK: NETWORK });
  // A service on every interface of the host, as a careless one would listen: builds must not reach it.
  host = createServer((_req, res) => res.end('host secret\n'));
  await new Promise<void>((r) => host.listen(0, '0.0.0.0', r));
  hostPort = (host.address() as { port: number }).port;
});

afterAll(async () => {
  await mc?.stop();
  await redis?.stop();
  host?.close();
  for (const n of [NETWORK, `${NETWORK}-build`]) { try { docker('network', 'rm', n); } catch { /* never made */ } }
  for (const chain of ['INPUT', 'FORWARD']) {
    const rules = execFileSync('iptables', ['-w', '-S', chain], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`minicloud-build-${NETWORK}-build `) || l.includes(`minicloud-icc-${NETWORK} `));
    for (const r of rules) execFileSync('iptables', ['-w', '-D', ...r.split(' ').slice(1)]);
  }
});

function repo(dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-fence-'));
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  return dir;
}

const WEB = 'RUN mkdir /www && echo ok > /www/index.html\nCMD ["sh", "-c", "exec busybox httpd -f -p ${PORT:-5000} -h /www"]\n';

it('a RUN step reaches the internet but not the host (its gateway address) nor the metadata address', async () => {
  const app = `fence-${randomBytes(2).toString('hex')}`;
  expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
  const probe = (what: string, url: string) =>
    `RUN if timeout 5 wget -qO- ${url} >/dev/null 2>&1; then echo "${what}-REACHED"; else echo "${what}-REFUSED"; fi\n`;
  const r = await push(repo([
    'FROM minicloud/busybox',
    'RUN ip route | awk \'/default/ {print $3}\' > /gateway && echo "gateway $(cat /gateway)"',
    probe('HOST', `http://$(cat /gateway):${hostPort}/`).trimEnd(),
    probe('METADATA', 'http://169.254.169.254/latest/meta-data/').trimEnd(),
    probe('MIRROR', 'http://deb.debian.org/debian/').trimEnd(),
    WEB,
  ].join('\n')), mc.gitUrl(app));
  expect(r.output).toContain('HOST-REFUSED');
  expect(r.output).toContain('METADATA-REFUSED');
  expect(r.output).toContain('MIRROR-REACHED');
  expect(r.code, r.output).toBe(0);
});

it('ADD <url> is refused before the build, saying what to use instead', async () => {
  const app = `fence-${randomBytes(2).toString('hex')}`;
  expect((await mc.api('POST', '/api/apps', { name: app })).status).toBe(201);
  const r = await push(repo(`FROM minicloud/busybox\nADD http://127.0.0.1:${hostPort}/ /secret\n${WEB}`), mc.gitUrl(app));
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('ADD <url>');
  expect(r.output).toContain('RUN curl');
});
