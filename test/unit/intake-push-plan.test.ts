// Which pushed refs deploy: the app's deploy branch, and master too where that is main (as Heroku does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PushIntake, deploysFrom } from '../../src/intake/push.ts';
import { Store } from '../../src/store/index.ts';
import type { DeployQueue } from '../../src/queue/index.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
let dir: string;
let store: Store;
let intake: PushIntake;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-push-'));
  store = new Store(join(dir, 'state.db'));
  store.apps.create('hello');
  const dirs = { incoming: join(dir, 'incoming'), sources: join(dir, 'sources'), sourceTar: (id: string) => join(dir, id) };
  intake = new PushIntake(store, {} as DeployQueue, dirs);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy branch', () => {
  it('main or master deploys an app that deploys main; other branches are taken literally', () => {
    expect(deploysFrom('main', 'main')).toBe(true);
    expect(deploysFrom('main', 'master')).toBe(true);
    expect(deploysFrom('main', 'feature')).toBe(false);
    expect(deploysFrom('main', null)).toBe(false);
    expect(deploysFrom('production', 'production')).toBe(true);
    expect(deploysFrom('production', 'master')).toBe(false);
    expect(deploysFrom('production', 'main')).toBe(false);
  });

  it('a push of master deploys it', async () => {
    const plan = await intake.plan('hello', [{ oldrev: ZERO, newrev: A, ref: 'refs/heads/master' }]);
    expect(plan.deploy).toMatchObject({ ref: 'refs/heads/master', newrev: A });
    expect(plan.messages).toEqual([]);
  });

  it('a push of both deploys the first and stores the other', async () => {
    const plan = await intake.plan('hello', [{ oldrev: ZERO, newrev: A, ref: 'refs/heads/main' }, { oldrev: ZERO, newrev: B, ref: 'refs/heads/master' }]);
    expect(plan.deploy).toMatchObject({ ref: 'refs/heads/main', newrev: A });
    expect(plan.messages[0]).toContain('Branch master stored, not deployed');
  });

  it('a push of another branch is refused, naming the branch that deploys and both ways out', async () => {
    await expect(intake.plan('hello', [{ oldrev: ZERO, newrev: A, ref: 'refs/heads/feature' }]))
      .rejects.toThrow('hello deploys pushes of main (or master), not feature: nothing was pushed');
    store.apps.setDeployBranch('hello', 'production');
    const refused = await intake.plan('hello', [{ oldrev: ZERO, newrev: A, ref: 'refs/heads/master' }]).catch((e: { hint: string }) => e);
    expect(refused).toMatchObject({ message: 'hello deploys pushes of production, not master: nothing was pushed' });
    expect((refused as { hint: string }).hint).toContain('minicloud apps:set hello branch=master');
    expect((await intake.plan('hello', [{ oldrev: ZERO, newrev: A, ref: 'refs/heads/production' }])).deploy).toMatchObject({ newrev: A });
  });

  it('deleting master is allowed, deleting the deploy branch is not', async () => {
    expect(await intake.plan('hello', [{ oldrev: A, newrev: ZERO, ref: 'refs/heads/master' }])).toEqual({ messages: ['-----> Branch master deleted'], deploy: null });
    await expect(intake.plan('hello', [{ oldrev: A, newrev: ZERO, ref: 'refs/heads/main' }])).rejects.toThrow(/deleting the deploy branch main/);
  });
});
