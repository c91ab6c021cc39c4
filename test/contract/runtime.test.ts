// The Runtime contract: one suite, run against every runtime (host processes and Docker containers, real ones).
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, ProcessRuntime, SwarmRuntime, type InstanceSpec, type RunningInstance, type Runtime } from '../../src/runtime/index.ts';
import { CUT_MARK, MAX_LINE, chooseConfinement, type Artifact } from '../../src/core/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';
import { until } from '../helpers/net.ts';
import { startSwarm, type Swarm } from '../helpers/swarm.ts';

dockerHost();

const FIXTURE = fileURLToPath(new URL('../fixtures/runtime-contract/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mc-contract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Subject {
  name: string;
  setup(): Promise<{ make: (o?: { logMaxBytes?: number }) => Runtime; artifact: Artifact }>;
  teardown?(): Promise<void>;
}

const IMAGE = `minicloud-test/contract:${randomUUID().slice(0, 8)}`;
const NETWORK = 'minicloud-test';

const subjects: Subject[] = [
  {
    name: 'process',
    async setup() {
      const dir = join(tmp, 'release');
      cpSync(FIXTURE, dir, { recursive: true });
      return { make: (o) => new ProcessRuntime(join(tmp, 'logs-process'), o), artifact: { kind: 'dir', dir: dir, buildpack: 'node', processes: { web: 'node server.js' } } };
    },
  },
  // The same runtime with each instance in a cgroup of its own, where this machine lets minicloud make them (root).
  ...(() => {
    const confine = chooseConfinement({ namespace: `minicloud-contract-${randomUUID().slice(0, 8)}` });
    if (confine.kind === 'process groups') return [];
    return [{
      name: `process (${confine.kind})`,
      async setup() {
        const dir = join(tmp, 'release-cgroup');
        cpSync(FIXTURE, dir, { recursive: true });
        return {
          make: (o?: { logMaxBytes?: number }) => new ProcessRuntime(join(tmp, 'logs-cgroup'), { ...o, confine, defaults: { memoryMb: 256, pids: 256 } }),
          artifact: { kind: 'dir' as const, dir, buildpack: 'node', processes: { web: 'node server.js' } },
        };
      },
      async teardown() {
        confine.tidy();
      },
    }];
  })(),
  {
    name: 'docker',
    async setup() {
      docker('build', '-q', '--build-arg', `BASE_IMAGE=${process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node'}`, '-t', IMAGE, FIXTURE);
      const engine = new Dockerode();
      return {
        make: (o) => new DockerRuntime(engine, { logDir: join(tmp, 'logs-docker'), network: NETWORK, defaultMemoryMb: 256, ...o }),
        artifact: { kind: 'image', image: IMAGE, buildpack: 'node', processes: { web: 'node server.js' } },
      };
    },
    async teardown() {
      docker('rmi', '-f', IMAGE);
    },
  },
  swarmSubject(),
];

/** A real two-node swarm made for this file (its own dockerds and registry): the image built on the manager, pushed. */
function swarmSubject(): Subject {
  let swarm: Swarm | null = null;
  return {
    name: 'swarm',
    async setup() {
      swarm = await startSwarm({ nodes: 2 });
      console.log(`swarm of 2 nodes formed, registry answering, in ${swarm.formedInS.toFixed(1)} s`);
      const base = process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node';
      swarm.loadImage(dockerHost(), base);
      const image = `${swarm.registry}/contract:${IMAGE.split(':')[1]}`;
      swarm.manager.docker('build', '-q', '--build-arg', `BASE_IMAGE=${base}`, '-t', image, FIXTURE);
      swarm.manager.docker('push', '-q', image);
      const engine = new Dockerode({ socketPath: swarm.manager.dockerHost.replace('unix://', '') });
      return {
        make: (o) => new SwarmRuntime(engine, { logDir: join(tmp, 'logs-swarm'), network: NETWORK, defaultMemoryMb: 256, stopGraceMs: 5000, registry: (swarm as Swarm).registry, ...o }),
        artifact: { kind: 'image', image, buildpack: 'node', processes: { web: 'node server.js' } },
      };
    },
    async teardown() {
      await swarm?.down();
    },
  };
}

async function http(i: RunningInstance, path: string): Promise<string> {
  const res = await fetch(`http://${i.host}:${i.port}${path}`, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

describe.each(subjects)('the $name runtime', (subject) => {
  let make: (o?: { logMaxBytes?: number }) => Runtime;
  let artifact: Artifact;
  const runtimes: Runtime[] = [];
  const handles: Array<{ rt: Runtime; handle: string }> = [];
  const app = `contract-${randomUUID().slice(0, 6)}`;
  const volumeDir = join(tmp, `volume-${subject.name}`);

  beforeAll(async () => ({ make, artifact } = await subject.setup()));
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.rt.stop(h.handle, 1000);
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
  });
  afterAll(async () => subject.teardown?.());

  const runtime = () => {
    const rt = make();
    runtimes.push(rt);
    return rt;
  };
  const spec = (env: Record<string, string> = {}, command = 'node server.js'): InstanceSpec => ({
    id: randomUUID(), app, release: 1, type: 'web', command, artifact, env, volumes: [{ path: '/data', hostDir: volumeDir }],
  });
  const start = async (rt: Runtime, s: InstanceSpec) => {
    const running = await rt.start(s);
    handles.push({ rt, handle: running.handle });
    await until('the instance to answer', async () => ((await http(running, '/')) === 'ok' ? true : undefined));
    return running;
  };

  it('starts a release with its env and PORT, and its output reaches the app log', async () => {
    const rt = runtime();
    const s = spec({ GREETING: 'hello contract' });
    const i = await start(rt, s);
    const env = JSON.parse(await http(i, '/env')) as { greeting: string; port: string; dyno: string };
    expect(env.greeting).toBe('hello contract');
    expect(Number(env.port)).toBeGreaterThan(0);
    expect(env.dyno).toBe(`web.${s.id.slice(0, 8)}`);
    await until('the start line in the logs', async () => {
      const lines: string[] = [];
      for await (const l of rt.logs(app, { lines: 50, follow: false })) lines.push(l);
      return lines.some((l) => l.includes(`listening on ${env.port} as ${env.dyno}`)) ? true : undefined;
    });
  });

  it('stops an instance gracefully, and stopping it again is harmless', async () => {
    const rt = runtime();
    const i = await start(rt, spec());
    await rt.stop(i.handle, 5000);
    await expect(http(i, '/')).rejects.toThrow();
    await rt.stop(i.handle, 5000);
    await until('SIGTERM in the logs', async () => {
      for await (const l of rt.logs(app, { lines: 50, follow: false })) if (l.includes('got SIGTERM')) return true;
      return undefined;
    });
  });

  it('reports a crash with its exit code, and a new instance starts after it', async () => {
    const rt = runtime();
    const exits: Array<{ handle: string; code: number | null }> = [];
    rt.onExit((handle, code) => exits.push({ handle, code }));
    const i = await start(rt, spec());
    await http(i, '/crash');
    const exit = await until('the exit report', async () => exits.find((e) => e.handle === i.handle));
    expect(exit.code).toBe(3);
    const again = await start(rt, spec());
    expect(await http(again, '/')).toBe('ok');
  });

  it('starts a crashed instance again in place, under the same id (as the supervisor restarts it)', async () => {
    const rt = runtime();
    const exits: string[] = [];
    rt.onExit((handle) => exits.push(handle));
    const same = spec();
    const i = await start(rt, same);
    await http(i, '/crash');
    await until('the exit report', async () => (exits.includes(i.handle) ? true : undefined));
    const again = await start(rt, same);
    expect(await http(again, '/')).toBe('ok');
  });

  it('keeps volume data across instances', async () => {
    const rt = runtime();
    const a = await start(rt, spec());
    await http(a, '/write');
    await rt.stop(a.handle, 2000);
    const b = await start(rt, spec());
    expect(await http(b, '/read')).toMatch(/^written by web\./);
  });

  it('adopts a running instance from a new runtime object, and not a stopped one', async () => {
    const first = runtime();
    const i = await start(first, spec());
    await first.close();
    const second = runtime();
    expect(await second.adopt(i.handle)).toBe(true);
    await second.stop(i.handle, 2000);
    expect(await runtime().adopt(i.handle)).toBe(false);
  });

  it('runs a one-off command and returns its output and exit code', async () => {
    const rt = runtime();
    const lines: string[] = [];
    const code = await rt.run(spec({ GREETING: 'one-off' }, 'node -e "console.log(process.env.GREETING); process.exit(7)"'), (l) => lines.push(l));
    expect(code).toBe(7);
    expect(lines).toContain('one-off');
  });

  it('cuts a one-off command\'s 16 MB line without a newline, and reads it in linear time', async () => {
    const rt = runtime();
    const lines: string[] = [];
    const started = performance.now();
    const code = await rt.run(spec({}, `node -e "process.stdout.write('x'.repeat(16 * 1024 * 1024)); console.log(); console.log('after')"`), (l) => lines.push(l));
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(20_000); // a container's start and stop included
    expect(lines.map((l) => `${l.length}:${l[0]}`)).toEqual([`${MAX_LINE + CUT_MARK.length}:x`, '5:a']);
  });

  it('keeps app.log under its size limit, the newest part moved to app.log.1 (5 MB of output, 1 MiB limit)', async () => {
    const max = 1024 * 1024;
    const rt = make({ logMaxBytes: max });
    runtimes.push(rt);
    const flood = `node -e "const l = 'y'.repeat(99) + '\\n'; for (let i = 0; i < 50000; i++) process.stdout.write(l); console.log('flood done'); setInterval(() => {}, 1000)"`;
    const running = await rt.start(spec({}, flood));
    handles.push({ rt, handle: running.handle });
    const file = (rt as unknown as { logFile(app: string): string }).logFile(app);
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    await until('app.log to be rotated after the flood', async () =>
      size(file) <= max && size(`${file}.1`) > 0 && size(`${file}.1`) <= max && (readFileSync(file, 'utf8') + readFileSync(`${file}.1`, 'utf8')).includes('flood done') ? true : undefined, 30_000);
    const lines: string[] = [];
    for await (const l of rt.logs(app, { lines: 1, follow: false })) lines.push(l);
    expect(lines.length).toBe(1);
  });

  it('adds minicloud\'s own lines to the app log', async () => {
    const rt = runtime();
    rt.appendLog(app, 'cron: a line of our own');
    const lines: string[] = [];
    for await (const l of rt.logs(app, { lines: 5, follow: false })) lines.push(l);
    // Stored with the time it was written (the merged log reads it from there, as it does an instance's lines).
    expect(lines.some((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z cron: a line of our own$/.test(l)), JSON.stringify(lines)).toBe(true);
  });
});
