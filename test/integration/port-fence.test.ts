// The port fence of host-process apps (minicloud as root): an app that listens on every interface is still reached
// through the router only, not from another machine nor as another local user; and the firewall rules of a
// minicloud killed with -9 are swept at its next start, its own only (tests run several minicloud side by side).
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, fixtureRepo, push } from '../helpers/git.ts';
import { startMinicloud, type Minicloud } from '../helpers/minicloud.ts';
import { get, until } from '../helpers/net.ts';
import { startNetns, type Netns } from '../helpers/netns.ts';
import { isAlive, waitFor } from '../helpers/proc.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const APP = 'fenced';
interface Instance { pid: number | null; port: number; type: string }

let redis: TestRedis;
let mc: Minicloud;
let ns: Netns;
let control: Server;
let repo: string;
const planted: string[] = []; // iptables -S lines of another minicloud's rule, added by this test

/** Every minicloud port rule now (IPv4 and IPv6), as `iptables -S` lines. */
const portRules = () => ['iptables', 'ip6tables'].flatMap((t) => execFileSync(t, ['-w', '-S'], { encoding: 'utf8' }).split('\n'))
  .filter((l) => l.includes('--comment minicloud-port-'));
const instance = () => createHash('sha256').update(mc.dataDir).digest('hex').slice(0, 10);
const mine = () => portRules().filter((l) => l.includes(`-${instance()} `));
const onPort = (port: number) => mine().filter((l) => l.includes(`--comment minicloud-port-${port}-`));
const ps = async () => (await mc.api<Instance[]>('GET', `/api/apps/${APP}/ps`)).body;
const web = async () => (await ps()).find((i) => i.type === 'web');

/** curl's exit code and HTTP status, run under `prefix` (another user, another namespace); not blocking: the control server answers from here. */
function curl(prefix: string[], url: string): Promise<{ code: number | null; status: string }> {
  return new Promise((resolve) => {
    const c = spawn(prefix[0] ?? 'curl', [...prefix.slice(1), ...(prefix.length ? ['curl'] : []), '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url]);
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('close', (code) => resolve({ code, status: out }));
  });
}

beforeAll(async () => {
  redis = await startRedis();
  mc = await startMinicloud(redis.url);
  ns = startNetns();
  control = createServer((_req, res) => res.end('control\n'));
  await new Promise<void>((r) => control.listen(0, '0.0.0.0', r));
  expect((await mc.api('POST', '/api/apps', { name: APP })).status).toBe(201);
  // An app that ignores HOST and listens on every interface.
  expect((await mc.api('PATCH', `/api/apps/${APP}/config`, { HOST_OVERRIDE: '0.0.0.0' })).status).toBe(200);
  repo = fixtureRepo('hostile');
  const r = await push(repo, mc.gitUrl(APP));
  expect(r.code, r.output).toBe(0);
});

afterAll(async () => {
  for (const line of planted) execFileSync('iptables', ['-w', '-D', ...line.split(' ').slice(1)]);
  await mc?.stop();
  await redis?.stop();
  ns?.down();
  control?.close();
});

describe('an app listening on every interface', () => {
  it('answers the router, and root on loopback (which the router is)', async () => {
    expect((await get(mc.httpPort, `${APP}.localhost`)).body).toMatch(/^hostile \d+ uid \d+/);
    const { port } = (await web())!;
    expect(await curl([], `http://127.0.0.1:${port}/`)).toEqual({ code: 0, status: '200' });
  });

  it('is not reached from another machine, while the host answers it on another port', async () => {
    const { port } = (await web())!;
    const controlPort = (control.address() as AddressInfo).port;
    expect(await curl(ns.exec, `http://${ns.hostIp}:${controlPort}/`)).toEqual({ code: 0, status: '200' }); // the way in works
    const r = await curl(ns.exec, `http://${ns.hostIp}:${port}/`);
    expect(r.code, 'curl: connection refused (reset by the fence)').toBe(7);
  });

  it('is not reached by another local user (not an app) over loopback, while that user reaches another port', async () => {
    const { port } = (await web())!;
    const controlPort = (control.address() as AddressInfo).port;
    expect(await curl(['runuser', '-u', 'nobody', '--'], `http://127.0.0.1:${controlPort}/`)).toEqual({ code: 0, status: '200' });
    expect((await curl(['runuser', '-u', 'nobody', '--'], `http://127.0.0.1:${port}/`)).code).toBe(7);
  });
});

describe('a redeploy', () => {
  it("starts its instances on ports fenced while it built, and the old ports' rules go", async () => {
    const old = await ps();
    writeFileSync(join(repo, 'CHANGES.txt'), 'a code-only change\n');
    commitAll(repo, 'code only');
    const r = await push(repo, mc.gitUrl(APP));
    expect(r.code, r.output).toBe(0);
    const now = await until('the old instances gone', async () => {
      const list = await ps();
      return list.every((i) => !old.some((o) => o.port === i.port)) ? list : undefined;
    }, 60_000);
    for (const i of now) {
      expect(onPort(i.port)).toHaveLength(4);
      expect((await curl(['runuser', '-u', 'nobody', '--'], `http://127.0.0.1:${i.port}/`)).code).toBe(7);
    }
    for (const o of old) expect(onPort(o.port)).toEqual([]);
    // Every rule belongs to a running instance: the port readied during the build was taken by one of them.
    expect(mine()).toHaveLength(4 * now.length);
    expect((await get(mc.httpPort, `${APP}.localhost`)).body).toMatch(/^hostile \d+ uid \d+/);
  });
});

describe('minicloud killed with -9', () => {
  it('finds its own rules of a living app again at its next start, neither doubled nor lost', async () => {
    const before = (await web())!;
    expect(onPort(before.port)).toHaveLength(4); // INPUT and OUTPUT, IPv4 and IPv6
    await mc.crash();
    await mc.start();
    const after = (await web())!;
    expect(after.port).toBe(before.port); // adopted, not restarted
    expect(mine()).toHaveLength(4 * (await ps()).length); // web and worker
    expect((await curl(['runuser', '-u', 'nobody', '--'], `http://127.0.0.1:${after.port}/`)).code).toBe(7);
  });

  it("sweeps the rules of an app that died while it was down, and leaves another minicloud's alone", async () => {
    // Another minicloud's rule, for a port no one listens on: not this one's to sweep.
    const other = `-A INPUT ! -i lo -p tcp -m tcp --dport 1 -m comment --comment minicloud-port-1-00000000ff -j REJECT --reject-with tcp-reset`;
    execFileSync('iptables', ['-w', '-I', ...other.split(' ').slice(1)]);
    planted.push(other);
    const old = (await web())!;
    await mc.crash();
    process.kill(-old.pid!, 'SIGKILL'); // its web dies too, while minicloud is down: nobody closes its port
    await waitFor(() => !isAlive(old.pid!), 10_000, 'the app to die');
    expect(onPort(old.port)).toHaveLength(4); // left behind
    await mc.start();
    const now = await until('a new web instance', async () => {
      const w = await web();
      return w && w.port !== old.port ? w : undefined;
    }, 60_000);
    await until('the new instance to answer', async () => ((await get(mc.httpPort, `${APP}.localhost`)).status === 200 ? true : undefined), 60_000);
    expect(onPort(old.port)).toEqual([]);
    expect(onPort(now.port)).toHaveLength(4);
    expect(mine()).toHaveLength(4 * (await ps()).length); // the worker lived on: adopted, its rules kept
    expect(portRules().filter((l) => l.includes('minicloud-port-1-00000000ff'))).toHaveLength(1);
  });
});
