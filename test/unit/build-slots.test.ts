// build: builds take turns and refuse to start without free memory.
import { expect, it } from 'vitest';
import { BuildSlots } from '../../src/build/index.ts';
import type { Builder, BuildRequest } from '../../src/build/index.ts';
import type { Artifact } from '../../src/core/index.ts';

function gatedBuilder() {
  const gates: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const inner: Builder = {
    name: 'fake', unpack: async () => {},
    async build() {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      return { kind: 'dir', dir: 'x', buildpack: 'x', processes: {} } satisfies Artifact;
    },
  };
  return { inner, gates, most: () => most };
}

const req = (log: string[]): BuildRequest => ({
  app: 'a', sourceDir: '/nowhere', config: {}, log: (l) => log.push(l),
  plan: { buildpack: 'x', baseImage: 'x', dockerfile: null, buildArgs: {}, install: [], build: [], processes: {}, cacheDirs: [], env: {} },
});

it('runs one build at a time by default, saying why the next one waits', async () => {
  const { inner, gates, most } = gatedBuilder();
  const slots = new BuildSlots(inner, { concurrency: 1, minFreeMb: 0, freeMb: () => 4096 });
  const logs: string[][] = [[], [], []];
  const builds = logs.map((l) => slots.build(req(l)));
  await new Promise((r) => setTimeout(r, 20));
  expect(gates).toHaveLength(1);
  expect(logs[1]!.join()).toContain('Waiting for another build to finish (MINICLOUD_BUILD_CONCURRENCY=1)');
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gates.shift()!();
  }
  await Promise.all(builds);
  expect(most()).toBe(1);
});

it('refuses to start a build when too little memory is free, saying what to do', async () => {
  const { inner } = gatedBuilder();
  const slots = new BuildSlots(inner, { concurrency: 1, minFreeMb: 256, freeMb: () => 100 });
  await expect(slots.build(req([]))).rejects.toThrow(/only 100 MiB of memory is free and a build needs 256 MiB/);
});

it("gives a waiting production build the slot before a preview's, and a preview's build needs twice the free memory", async () => {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const inner: Builder = {
    name: 'fake', unpack: async () => {},
    async build(r) {
      started.push(r.app);
      await new Promise<void>((go) => gates.push(go));
      return { kind: 'dir', dir: 'x', buildpack: 'x', processes: {} } satisfies Artifact;
    },
  };
  let free = 700;
  const slots = new BuildSlots(inner, { concurrency: 1, minFreeMb: 300, freeMb: () => free });
  const as = (app: string, preview = false): BuildRequest => ({ ...req([]), app, preview });
  const builds = [slots.build(as('prod-a')), slots.build(as('shop-feature-x', true)), slots.build(as('prod-b'))];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gates.shift()!();
  }
  await Promise.all(builds);
  expect(started).toEqual(['prod-a', 'prod-b', 'shop-feature-x']);
  free = 500;
  await expect(slots.build(as('shop-feature-y', true))).rejects.toThrow("only 500 MiB of memory is free and a preview's build needs 600 MiB (twice MINICLOUD_BUILD_MIN_FREE)");
  const fine = slots.build(as('prod-c'));
  await new Promise((r) => setTimeout(r, 20));
  gates.shift()!();
  await fine;
});
