// Benchmark: what the Docker runtime's least privilege costs (capabilities dropped, no-new-privileges, a process,
// CPU and memory limit, as container-spec.ts makes every app container): start to first answer and a request,
// beside the same container without any of it, in one run.
import { randomUUID } from 'node:crypto';
import Dockerode from 'dockerode';
import { containerSpec } from '../../src/runtime/index.ts';
import { dockerHost } from '../helpers/docker.ts';
import { request } from 'node:http';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = 5;
const REQUESTS = 200;
const IMAGE = process.env.MINICLOUD_BASE_IMAGE_NODE || 'minicloud/node';
const NETWORK = 'mc-bench-limits';
const SERVER = "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT)";

/** The spec every app container gets, or the same stripped of its limits and privilege drops. */
function spec(limited: boolean): Dockerode.ContainerCreateOptions {
  const made = containerSpec({
    id: randomUUID(), app: 'bench', release: 1, type: 'web', command: `node -e "${SERVER}"`, env: {},
    artifact: { kind: 'image', image: IMAGE, buildpack: 'node', processes: { web: 'node' } },
  }, `mc-bench-limits-${randomUUID().slice(0, 8)}`, [], { network: NETWORK, defaultMemoryMb: 512, defaultCpu: 1, defaultPids: 512 });
  if (limited) return made;
  const { CapDrop, CapAdd, SecurityOpt, PidsLimit, NanoCpus, Memory, MemorySwap, ...rest } = made.HostConfig ?? {};
  return { ...made, HostConfig: rest };
}

async function rows(docker: Dockerode, limited: boolean, label: string): Promise<Array<[string, Stats]>> {
  const starts: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const c = await docker.createContainer(spec(limited));
    try {
      await c.start();
      const info = await c.inspect();
      const ip = info.NetworkSettings.Networks[NETWORK]?.IPAddress ?? '';
      const port = Number(Object.keys(info.Config.ExposedPorts ?? {})[0]?.split('/')[0]);
      const ask = () => status(ip, port);
      while ((await ask().catch(() => 0)) !== 200) await new Promise((r) => setTimeout(r, 10));
      starts.push(performance.now() - t);
      for (let j = 0; j < REQUESTS / RUNS; j++) {
        const r0 = performance.now();
        await ask();
        requests.push(performance.now() - r0);
      }
    } finally {
      await c.remove({ force: true });
    }
  }
  return [[`container start to first answer, ${label}`, stats(starts)], [`request to the container, ${label}`, stats(requests)]];
}

function status(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function dockerLimitsBench(): Promise<void> {
  const docker = new Dockerode({ socketPath: dockerHost().replace(/^unix:\/\//, '') });
  await docker.createNetwork({ Name: NETWORK, Driver: 'bridge' }).catch(() => { /* there from an earlier run */ });
  const all = [
    ...await rows(docker, true, 'least privilege + limits'),
    ...await rows(docker, false, 'none of it'),
  ];
  await docker.getNetwork(NETWORK).remove().catch(() => {});
  printTable(`Docker least privilege and limits (${RUNS} runs; requests: ${REQUESTS} each; image ${IMAGE})`, all);
}
