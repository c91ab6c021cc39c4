// Instance metrics of a real container: its pid is docker-init, the app is its child in another process group;
// the cgroup's figures include the app, as the container's own stats do.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Metrics, containerUsage, groupUsage, instanceUsage } from '../../src/metrics/index.ts';
import { docker, dockerHost } from '../helpers/docker.ts';

const MB = 1024 * 1024;
const image = process.env.MINICLOUD_BASE_IMAGE_NODE ?? 'minicloud/node';
// 64 MB touched (so resident), then a second of its own CPU time (not of wall time: a busy machine gives it less);
// says so on stdout when both are done.
const APP = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); let x = 0; while (process.cpuUsage().user < 1e6) x += b[x % b.length]; console.log("ready", x > 0); setInterval(() => b[0]++, 1000);';
let id = '';
let pid = 0;

beforeAll(async () => {
  dockerHost();
  // --init: as minicloud's Docker runtime starts app containers (HostConfig.Init).
  id = docker('run', '-d', '--init', '--label', 'minicloud-test=metrics-cgroup', image, 'node', '-e', APP);
  for (let i = 0; i < 300 && !docker('logs', id).includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(docker('logs', id)).toContain('ready true');
  pid = Number(docker('inspect', '-f', '{{.State.Pid}}', id));
});

afterAll(() => {
  if (id) docker('rm', '-f', id);
});

it('reads the container\u2019s cgroup: memory and CPU include the app behind docker-init', () => {
  expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('docker-init');
  const group = groupUsage(pid);
  const cg = containerUsage(pid);
  expect(cg, 'the container cgroup should be found').not.toBeNull();
  expect(cg!.rssBytes).toBeGreaterThanOrEqual(64 * MB);
  expect(cg!.cpuSeconds).toBeGreaterThanOrEqual(0.5);
  expect(group!.rssBytes).toBeLessThan(16 * MB); // what the process group alone saw: docker-init only
  expect(instanceUsage(pid)!.rssBytes).toBeGreaterThanOrEqual(64 * MB);
});

it('feeds the instance gauge and counter of Metrics by default', async () => {
  const m = new Metrics({ instances: () => [{ id: 'web.1', app: 'shop', type: 'web', pid, state: 'up' }], defaults: false });
  m.sample();
  const text = await m.text();
  const memory = Number(/^minicloud_instance_memory_bytes\{app="shop",type="web",instance="web.1"\} (\d+)$/m.exec(text)?.[1]);
  const cpu = Number(/^minicloud_instance_cpu_seconds_total\{app="shop",type="web",instance="web.1"\} ([\d.e-]+)$/m.exec(text)?.[1]);
  expect(memory).toBeGreaterThanOrEqual(64 * MB);
  expect(cpu).toBeGreaterThanOrEqual(0.5);
  expect(m.minutes('shop')[0]?.memoryMb).toBeGreaterThanOrEqual(64);
});

it('keeps using the process group for a host process', () => {
  expect(containerUsage(process.pid)).toBeNull();
  expect(instanceUsage(process.pid)!.rssBytes).toBeGreaterThan(MB);
});
