// The composition root's lifecycle: parts stopped last-made first, each stop on its own, only what started.
import { expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/core/index.ts';
import { Lifecycle } from '../../src/server/lifecycle.ts';

function recorder(level: LogLevel = 'info') {
  const lines: string[] = [];
  const log = createLogger({ level, label: 'stop', sink: { out: (l) => lines.push(`out ${l}`), err: (l) => lines.push(`err ${l}`) } });
  return { log, lines };
}

it('stops the parts in the reverse of the order they were added', async () => {
  const stopped: string[] = [];
  const life = new Lifecycle(recorder().log);
  for (const name of ['redis', 'store', 'queue', 'api']) life.add(name, () => { stopped.push(name); });
  await life.stopAll();
  expect(stopped).toEqual(['api', 'queue', 'store', 'redis']);
});

it('stops the `first` group before the rest, and the `last` group after', async () => {
  const stopped: string[] = [];
  const life = new Lifecycle(recorder().log);
  const add = (name: string, group?: 'first' | 'last') => life.add(name, async () => { stopped.push(name); }, { group });
  add('redis'); add('store', 'last'); add('queue'); add('deploys', 'first'); add('api', 'last'); add('router', 'last'); add('metrics');
  expect(life.order()).toEqual(['deploys', 'metrics', 'queue', 'redis', 'router', 'api', 'store']);
  await life.stopAll();
  expect(stopped).toEqual(life.order());
});

it('goes on past a stop that throws, and says which one failed', async () => {
  const stopped: string[] = [];
  const { log, lines } = recorder();
  const life = new Lifecycle(log);
  life.add('a', () => { stopped.push('a'); });
  life.add('b', () => { throw new Error('socket gone'); });
  life.add('c', async () => { throw new Error('refused'); });
  life.add('d', () => { stopped.push('d'); });
  await life.stopAll();
  expect(stopped).toEqual(['d', 'a']);
  expect(lines.filter((l) => l.startsWith('err [stop] c: stopping failed: Error: refused'))).toHaveLength(1);
  expect(lines.filter((l) => l.startsWith('err [stop] b: stopping failed: Error: socket gone'))).toHaveLength(1);
});

it('goes on past a stop that hangs once its time is up', async () => {
  const stopped: string[] = [];
  const { log, lines } = recorder();
  const life = new Lifecycle(log, 50);
  life.add('a', () => { stopped.push('a'); });
  life.add('hangs', () => new Promise<void>(() => {}));
  await life.stopAll();
  expect(stopped).toEqual(['a']);
  expect(lines).toContain('err [stop] hangs: not stopped after 0.05 s; going on without it');
});

it('after a start that failed halfway, stops only the parts that had started', async () => {
  const stopped: string[] = [];
  const life = new Lifecycle(recorder().log);
  const start = async () => {
    life.add('redis', () => { stopped.push('redis'); });
    life.add('store', () => { stopped.push('store'); }, { group: 'last' });
    throw new Error('port 7080 in use');
    // never reached: the API and the router were not started, so they have no stop to run
  };
  await expect(start().catch(async (e: unknown) => { await life.stopAll(); throw e; })).rejects.toThrow('port 7080 in use');
  expect(stopped).toEqual(['redis', 'store']);
});

it('stops each part once, however often it is asked', async () => {
  let n = 0;
  const life = new Lifecycle(recorder().log);
  life.add('a', async () => { n++; await new Promise((r) => setTimeout(r, 10)); });
  await Promise.all([life.stopAll(), life.stopAll()]);
  await life.stopAll();
  expect(n).toBe(1);
});

it('logs with a level and the label of the part that speaks', () => {
  const { log, lines } = recorder('warn');
  log.info('not kept');
  log.child('certs').warn('renewal failed');
  log.error('', new Error('boom'));
  expect(lines[0]).toBe('err [stop/certs] renewal failed');
  expect(lines[1]).toMatch(/^err \[stop\] Error: boom\n\s+at /);
  expect(lines).toHaveLength(2);
});
