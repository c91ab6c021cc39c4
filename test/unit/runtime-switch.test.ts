// The runtime switch swarm:init turns (runtime/runtime-switch.ts) and the record that keeps its choice
// (server/swarm-switch.ts): new instances on the current runtime, each handle's calls to the runtime that owns it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RuntimeSwitch, isContainerHandle, type Runtime } from '../../src/runtime/index.ts';
import { runtimeAfterInit } from '../../src/server/swarm-switch.ts';

const CONTAINER = 'a'.repeat(64);
const SERVICE = 'p3k9x2m1q8w7e6r5t4y3u2i1o';

/** A runtime that records what it was asked, and can report an exit. */
function fake(name: 'docker' | 'swarm') {
  const calls: string[] = [];
  let exit: ((h: string, code: number | null, reason: 'exited') => void) | undefined;
  const rt = {
    name,
    start: async () => { calls.push('start'); return { handle: name === 'docker' ? CONTAINER : SERVICE, pid: null, host: 'h', port: 1 }; },
    stop: async (h: string) => { calls.push(`stop ${h}`); },
    adopt: async (h: string) => { calls.push(`adopt ${h}`); return true; },
    onExit: (l: typeof exit) => { exit = l; },
    logs: () => (async function* () {})(),
    appendLog: () => {},
    run: async () => { calls.push('run'); return 0; },
    close: async () => {},
    ...(name === 'docker' && { freeze: async (h: string) => { calls.push(`freeze ${h}`); }, prewarm: async (app: string, specs: unknown[]) => { calls.push(`prewarm ${app} ${specs.length}`); } }),
  } as unknown as Runtime;
  return { rt, calls, exit: (h: string) => exit?.(h, 0, 'exited') };
}

describe('RuntimeSwitch', () => {
  it('starts on the current runtime; stops and adopts each handle where it runs; relays exits from both', async () => {
    const docker = fake('docker');
    const swarm = fake('swarm');
    const sw = new RuntimeSwitch(docker.rt);
    const exits: string[] = [];
    sw.onExit((h) => exits.push(h));
    expect(sw.name).toBe('docker');
    expect(sw.freeze).toBeDefined();
    sw.switchTo(swarm.rt);
    expect(sw.name).toBe('swarm');
    expect(sw.freeze).toBeUndefined(); // Swarm pauses nothing: backups go on without a pause, as before
    expect((await sw.start({} as never)).handle).toBe(SERVICE);
    await sw.stop(CONTAINER, 1000);
    await sw.stop(SERVICE, 1000);
    await sw.adopt(CONTAINER);
    await sw.run({} as never, () => {});
    await sw.prewarm('nap', []);
    expect(docker.calls).toEqual([`stop ${CONTAINER}`, `adopt ${CONTAINER}`, 'prewarm nap 0']);
    expect(swarm.calls).toEqual(['start', `stop ${SERVICE}`, 'run']);
    docker.exit(CONTAINER);
    swarm.exit(SERVICE);
    expect(exits).toEqual([CONTAINER, SERVICE]);
  });

  it('tells a container handle (64 hex digits) from a Swarm service id', () => {
    expect(isContainerHandle(CONTAINER)).toBe(true);
    expect(isContainerHandle(SERVICE)).toBe(false);
    expect(isContainerHandle(`${CONTAINER}x`)).toBe(false);
  });
});

describe('the runtime swarm:init recorded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-runtime-record-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the setting as it is when swarm:init never ran', () => {
    for (const c of ['auto', 'docker', 'process', 'swarm'] as const) expect(runtimeAfterInit(c, join(dir, 'none.json'))).toBe(c);
  });

  it('wins over no setting, and refuses another runtime, naming the record', () => {
    const file = join(dir, 'runtime.json');
    writeFileSync(file, JSON.stringify({ runtime: 'swarm', since: '2026-12-07T02:00:00.000Z' }));
    expect(runtimeAfterInit('auto', file)).toBe('swarm');
    expect(runtimeAfterInit('swarm', file)).toBe('swarm');
    expect(() => runtimeAfterInit('docker', file)).toThrow(/MINICLOUD_RUNTIME=docker, but this server was made a swarm/);
    expect(() => runtimeAfterInit('process', file)).toThrow(/its apps run as Swarm services/);
  });

  it('says so when the record is garbage', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{not json');
    expect(() => runtimeAfterInit('auto', file)).toThrow(/is not readable as minicloud's runtime record/);
  });
});
