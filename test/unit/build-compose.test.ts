// The Compose subset: what a file becomes (one image, processes, config vars, volumes, add-ons, the routed port and
// health check), and every refusal naming its key, before anything runs. The file is untrusted: hostile shapes too.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeEnvFiles, parseCompose, treeCompose } from '../../src/build/index.ts';
import { UserError } from '../../src/core/index.ts';

const none = () => null;
const error = (text: string, files: Record<string, string> = {}, builtImage?: string) => {
  try {
    parseCompose(text, (p) => files[p] ?? null, { builtImage });
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).message;
  }
  throw new Error('no error');
};

const SHOP = `
services:
  web:
    image: shop:1.0
    command: ["node", "server.js"]
    ports: ["8080:3000"]
    environment:
      GREETING: hello
      PRICE: "$$5"
    env_file: .env.web
    volumes: ["uploads:/srv/uploads"]
    depends_on:
      db: { condition: service_healthy }
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://localhost:3000/health || exit 1"]
      interval: 5s
      timeout: 2s
      retries: 3
      start_period: 1m30s
    restart: unless-stopped
  worker:
    image: shop:1.0
    command: node worker.js
    environment: [GREETING=hello]
    volumes: [{ type: volume, source: uploads, target: /srv/uploads }]
    depends_on:
      web: { condition: service_healthy }
      db: { condition: service_started }
  db:
    image: postgres:16
    environment: { POSTGRES_PASSWORD: example }
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD", "pg_isready"] }
    x-minicloud: { addon: postgres }
volumes:
  uploads:
  pgdata: {}
`;

describe('a Compose file', () => {
  it('becomes one image, its processes, config vars, volumes, an add-on, and the routed port and health check', () => {
    const plan = parseCompose(SHOP, (p) => (p === '.env.web' ? '# shop\nexport LEVEL=debug\nQUOTED="a b"\n' : null));
    expect(plan).toEqual({
      image: 'shop:1.0', webService: 'web', services: {},
      processes: { web: 'node server.js', worker: 'node worker.js' },
      env: { LEVEL: 'debug', QUOTED: 'a b', GREETING: 'hello', PRICE: '$5' },
      volumes: [{ name: 'uploads', path: '/srv/uploads' }],
      addons: [{ service: 'db', kind: 'postgres' }],
      manifest: {
        expose: { proto: 'http', port: 3000 },
        healthcheck: { path: '/health', intervalSeconds: 5, probeTimeoutSeconds: 2, failures: 3, startTimeoutSeconds: 90 },
        waitFor: { worker: ['web'] },
      },
    });
    expect(composeEnvFiles(SHOP)).toEqual(['.env.web']);
  });

  it('routes the service marked x-minicloud.web as the web process, and a build stands for the pushed image', () => {
    const plan = parseCompose(`
services:
  app: { build: ., expose: ["8000"], x-minicloud: { web: true } }
  jobs: { build: { context: . }, command: ./jobs }
`, none, { builtImage: 'minicloud/shop:v3' });
    expect(plan.image).toBe('minicloud/shop:v3');
    expect(plan.processes).toEqual({ web: '', jobs: './jobs' });
    expect(plan.webService).toBe('app');
    expect(plan.manifest.expose?.port).toBe(8000);
  });

  it.each([
    ['privileged: true', 'services.web.privileged: not supported: a privileged container is root on the host'],
    ['network_mode: host', 'services.web.network_mode: not supported'],
    ['devices: ["/dev/sda:/dev/sda"]', 'services.web.devices: not supported'],
    ['cap_add: [NET_ADMIN]', 'services.web.cap_add: not supported'],
    ['pid: host', 'services.web.pid: not supported'],
    ['volumes: ["/etc:/host-etc"]', 'services.web.volumes[0]: mounts the host path "/etc": host paths are refused'],
    ['volumes: ["./data:/data"]', 'services.web.volumes[0]: mounts the host path "./data"'],
    ['volumes: ["~/x:/data"]', 'services.web.volumes[0]: mounts the host path "~/x"'],
    ['volumes: ["/var/run/docker.sock:/var/run/docker.sock"]', 'services.web.volumes[0]: mounts the Docker socket'],
    ['volumes: [{ type: bind, source: /, target: /host }]', 'services.web.volumes[0].type: "bind" is not supported'],
    ['volumes: ["/data"]', 'services.web.volumes[0]: is an anonymous volume'],
    ['env_file: ../secrets.env', 'services.web.env_file: "../secrets.env" is outside the repository'],
    ['env_file: /etc/passwd', 'services.web.env_file: "/etc/passwd" is outside the repository'],
    ['env_file: a/../../b', 'services.web.env_file: "a/../../b" is outside the repository'],
    ['environment: { A: "${HOME}" }', 'services.web.environment.A: uses ${VAR} interpolation'],
    ['environment: [SECRET]', 'services.web.environment.SECRET: has no value'],
    ['ulimits: { nofile: 5 }', 'services.web.ulimits: not supported by minicloud\'s Compose subset'],
  ])('refuses %s, naming the key', (line, message) => {
    expect(error(`services:\n  web:\n    image: app:1\n    ports: ["80"]\n    ${line}\n`)).toContain(message);
  });

  it('runs a service with an image of its own beside the build: its volume its own, its healthcheck waited for', () => {
    const plan = parseCompose(`
services:
  web:
    build: .
    ports: ["3000"]
    depends_on: { db: { condition: service_healthy } }
  worker: { build: ., command: node worker.js, depends_on: { db: { condition: service_healthy } } }
  db:
    image: postgres:15-bookworm
    environment: { POSTGRES_PASSWORD: pw }
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U postgres"], interval: 2s, retries: 10 }
  cache: { image: "redis:7", command: redis-server --save "" }
volumes: { pgdata: {} }
`, none, { builtImage: 'minicloud/shop:v3' });
    expect(plan.image).toBe('minicloud/shop:v3');
    expect(plan.services).toEqual({
      db: { image: 'postgres:15-bookworm', volumes: ['/var/lib/postgresql/data'], stateful: true },
      cache: { image: 'redis:7', volumes: [], stateful: false },
    });
    expect(plan.processes).toEqual({ web: '', worker: 'node worker.js', db: '', cache: 'redis-server --save ""' });
    expect(plan.manifest.waitFor).toEqual({ web: ['db'], worker: ['db'] });
    expect(plan.manifest.checks).toEqual({ db: { test: ['CMD-SHELL', 'pg_isready -U postgres'], intervalSeconds: 2, retries: 10 } });
    expect(plan.volumes).toEqual([{ name: 'pgdata', path: '/var/lib/postgresql/data' }]);
  });

  it('refuses what minicloud cannot run, saying what to do', () => {
    expect(error('services:\n  web: { image: app:1, ports: ["80"], volumes: ["pg:/d"] }\n  db: { image: postgres:16, volumes: ["pg:/d"] }\nvolumes: { pg: {} }\n'))
      .toContain('services.web.volumes[0]: mounts pg, which services.db mounts: a service with an image of its own keeps its volumes to itself');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], depends_on: { a: { condition: service_healthy } } }\n  a: { image: app:1, healthcheck: { test: "true" }, depends_on: { b: { condition: service_healthy } } }\n  b: { image: app:1, healthcheck: { test: "true" }, depends_on: { a: { condition: service_healthy } } }\n'))
      .toContain('a waits for b waits for a: a cycle');
    expect(error('services:\n  web: { image: app:1, ports: ["80"] }\n  db: { image: postgres:16, healthcheck: { test: 5 } }\n')).toContain('services.db.healthcheck.test: must be a command line');
    expect(error('services:\n  web: { image: app:1, ports: ["80"] }\n  db: { image: app:1, x-minicloud: { addon: postgres } }\n')).toContain('services.db.x-minicloud.addon: postgres does not stand for app:1');
    expect(error('services:\n  web: { build: ., ports: ["80"] }\n')).toContain('services.web.build: needs the repository: builds come from `git push`');
    expect(error('services:\n  web: { image: app:1 }\n')).toContain('has no service with a port');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], depends_on: [nope] }\n')).toContain('services.web.depends_on.nope: there is no service "nope"');
    expect(error('services:\n  web: { image: app:1, ports: ["80"] }\n  w: { image: app:1, depends_on: { web: { condition: service_healthy } } }\n')).toContain('services.web has no healthcheck');
    expect(error('services:\n  web: { image: app:1, ports: ["80"] }\n  w: { image: app:1, depends_on: { web: { condition: service_completed_successfully } } }\n')).toContain('release command');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], volumes: ["data:/d"] }\n')).toContain('does not declare');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], environment: { DATABASE_URL: x } }\n  db: { image: postgres:16, x-minicloud: { addon: postgres } }\n'))
      .toContain("services.web.environment.DATABASE_URL: is set by minicloud's postgres add-on, which stands for services.db");
    expect(error('services:\n  web: { image: app:1, ports: ["80"], environment: { A: "1" } }\n  w: { image: app:1, environment: { A: "2" } }\n')).toContain('services.w.environment.A: differs from services.web.environment.A');
    expect(error('services:\n  web: { image: app:1, ports: ["80"] }\nnetworks: { front: {} }\n')).toContain('networks: not supported');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], volumes: ["d:/d"] }\nvolumes: { d: { driver: local } }\n')).toContain('volumes.d.driver: not supported');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], env_file: .env }\n')).toContain('services.web.env_file: .env is not in the repository');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], healthcheck: { test: ["CMD", "pg_isready"] } }\n')).toContain('services.web.healthcheck.test: must probe http://localhost');
  });

  it('refuses hostile shapes before or while parsing, quickly', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`), 'services: { web: { image: x:1, ports: ["80"], environment: { A: *i } } }'].join('\n');
    const huge = `services:\n  web: { image: app:1, ports: ["80"] }\nx-pad: "${'x'.repeat(70 * 1024)}"\n`;
    const deep = `services: ${'['.repeat(5000)}`;
    const keys = `services:\n${Array.from({ length: 1200 }, (_, i) => `  s${i}: { image: app:1 }`).join('\n')}\n`;
    const start = performance.now();
    expect(error(laughs)).toContain('Excessive alias count');
    expect(error(huge)).toContain('minicloud reads at most 32768');
    expect(error(deep)).toContain('nests [ ] or { } deeper than 16');
    expect(keys.length).toBeLessThan(32 * 1024);
    expect(error(keys)).toContain('services: has 1200 services; minicloud runs at most 12 per app');
    expect(error('services:\n  web: { image: app:1, ports: ["80"], env_file: big }\n', { big: `A=${'x'.repeat(40 * 1024)}` })).toContain('minicloud reads at most 32768');
    // Measured ~0.2 s here (most of it the parser's key checks on the 30 KiB of keys); a 5 s bound proves no blow-up, not speed.
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('bounds a billion laughs that stays under the anchor limit with the parser\'s alias cap', () => {
    const text = `x-a: &a [${Array(60).fill('"lol"').join(',')}]\nx-b: &b [${Array(60).fill('*a').join(',')}]\nservices: { web: { image: app:1, ports: ["80"] } }\n`;
    expect(error(text)).toContain('Excessive alias count');
  });
});

describe("a pushed tree's Compose file", () => {
  const tree = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-compose-tree-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const WEB = 'services:\n  web: { build: ., ports: ["80"], env_file: web.env }\n';

  it('is read at the root when there is no Dockerfile, its env_files beside it', () => {
    const dir = tree({ 'docker-compose.yml': WEB, 'web.env': 'A=1\n' });
    expect(treeCompose(dir, 'built')).toMatchObject({ file: 'docker-compose.yml', plan: { image: 'built', env: { A: '1' } } });
    rmSync(dir, { recursive: true });
  });

  it('is left alone beside a Dockerfile, and two of them are refused', () => {
    const withDockerfile = tree({ 'compose.yaml': WEB, Dockerfile: 'FROM x\n' });
    expect(treeCompose(withDockerfile, 'built')).toBeNull();
    const two = tree({ 'compose.yaml': WEB, 'docker-compose.yml': WEB, 'web.env': '' });
    expect(() => treeCompose(two, 'built')).toThrow('the repository has compose.yaml and docker-compose.yml; minicloud reads one Compose file');
    for (const d of [withDockerfile, two]) rmSync(d, { recursive: true });
  });

  it('refuses an env_file that is a link (never read through it) or in a directory', () => {
    const linked = tree({ 'compose.yaml': WEB });
    symlinkSync('/etc/passwd', join(linked, 'web.env'));
    expect(() => treeCompose(linked, 'built')).toThrow('web.env is a link');
    const nested = tree({ 'compose.yaml': WEB.replace('web.env', 'config/web.env') });
    expect(() => treeCompose(nested, 'built')).toThrow('env_file config/web.env: in a pushed repository minicloud reads env files at its root only');
    for (const d of [linked, nested]) rmSync(d, { recursive: true });
  });
});
