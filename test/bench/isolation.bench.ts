// Benchmark: what isolation costs on the host-process runtime (minicloud as root): making an app's user, handing
// a release to it, fencing a port; and an instance's start and its requests with all of it, beside none of it.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppUsers, chooseConfinement, ownTree } from '../../src/core/index.ts';
import { PortGuard } from '../../src/runtime/port-guard.ts';
import { ProcessRuntime, type Runtime } from '../../src/runtime/index.ts';
import { freePort, get } from '../helpers/net.ts';
import { printTable, stats, type Stats } from './stats.ts';

const RUNS = 5;
const FILES = 5000;
const REQUESTS = 200;
const FIXTURE = fileURLToPath(new URL('../fixtures/runtime-contract/', import.meta.url));

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A release of `FILES` small files in 50 directories, as a node_modules would be. */
function bigRelease(dir: string): void {
  for (let d = 0; d < 50; d++) {
    mkdirSync(join(dir, `pkg${d}`), { recursive: true });
    for (let f = 0; f < FILES / 50; f++) writeFileSync(join(dir, `pkg${d}`, `f${f}.js`), 'module.exports = 1;\n');
  }
}

/** Start to first answer, then the median of sequential requests to the instance itself (what the router does). */
async function instanceRows(runtime: Runtime, app: string, release: string, label: string): Promise<Array<[string, Stats]>> {
  const starts: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let port = 0;
    let handle = '';
    starts.push(await time(async () => {
      const r = await runtime.start({ id: randomUUID(), app, release: 1, type: 'web', command: 'node server.js', env: {}, artifact: { kind: 'dir', dir: release, buildpack: 'node', processes: { web: 'node server.js' } } });
      ({ port, handle } = r);
      for (;;) {
        if (await get(port, 'bench').then((x) => x.status === 200, () => false)) break;
        await new Promise((res) => setTimeout(res, 10));
      }
    }));
    for (let j = 0; j < REQUESTS / RUNS; j++) requests.push(await time(() => get(port, 'bench')));
    await runtime.stop(handle, 2000);
  }
  return [[`instance start to first answer, ${label}`, stats(starts)], [`request to the instance, ${label}`, stats(requests)]];
}

export async function isolationBench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('\nIsolation cost: skipped (per-app users and port fences need root)');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mc-bench-iso-'));
  chmodSync(tmp, 0o711); // app users pass through to their releases
  const prefix = `mcb${randomBytes(2).toString('hex')}-`;
  const users = new AppUsers({ homesDir: join(tmp, 'homes'), prefix, nproc: 512, enabled: true });
  const none = new AppUsers({ homesDir: join(tmp, 'homes'), prefix, nproc: 512, enabled: false });
  const guard = new PortGuard(tmp);
  const made: string[] = [];
  const rows: Array<[string, Stats]> = [];
  try {
    const create: number[] = [];
    const skip: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const app = `u${i}`;
      made.push(app);
      create.push(await time(() => users.ensure(app)));
      skip.push(await time(() => none.ensure(app)));
    }
    rows.push(['app user: create (useradd, home, tmp)', stats(create)], ['app user: none (minicloud not root)', stats(skip)]);

    const user = (await users.ensure('u0'))!;
    const release = join(tmp, 'big');
    bigRelease(release);
    const chown: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await ownTree(release, { uid: 0, gid: 0 });
      chown.push(await time(() => ownTree(release, user)));
    }
    rows.push([`release of ${FILES} files: chown -R to the app user`, stats(chown)], [`release of ${FILES} files: none`, stats([0])]);

    const open: number[] = [];
    const close: number[] = [];
    for (let i = 0; i < RUNS * 2; i++) {
      const port = await freePort();
      open.push(await time(() => guard.open(port, user.uid)));
      close.push(await time(() => guard.close(port)));
    }
    rows.push(['port fence: open (4 rules)', stats(open)], ['port fence: close', stats(close)], ['port fence: none', stats([0])]);

    const small = join(tmp, 'small');
    cpSync(FIXTURE, small, { recursive: true });
    const isolated = new ProcessRuntime(join(tmp, 'logs'), { users, guard });
    const plain = new ProcessRuntime(join(tmp, 'logs-plain'));
    // The same with a cgroup per instance (memory, CPU and process limits), where this host lets minicloud make them.
    const confine = chooseConfinement({ namespace: `minicloud-bench-${randomBytes(3).toString('hex')}` });
    const confined = new ProcessRuntime(join(tmp, 'logs-cgroup'), { users, guard, confine, defaults: { memoryMb: 256, cpu: 1, pids: 256 } });
    await ownTree(small, user); // handed over once, as a release built by the app's user is
    rows.push(...await instanceRows(isolated, 'u0', small, 'app user + fence'));
    if (confine.kind !== 'process groups') rows.push(...await instanceRows(confined, 'u0', small, `app user + fence + ${confine.kind}`));
    rows.push(...await instanceRows(plain, 'u0', small, 'no isolation (root)'));
    await Promise.all([isolated.close(), plain.close(), confined.close()]);
  } finally {
    for (const app of made) await users.remove(app);
    rmSync(tmp, { recursive: true, force: true });
  }
  printTable(`Isolation cost on the host-process runtime (${RUNS} runs; requests: ${REQUESTS} each)`, rows);
}
