// Config var changes: what minicloud sets itself is refused on set, never on unset; values a process can carry.
import { describe, expect, it } from 'vitest';
import { UserError, checkConfigChanges, validateAppName, validateNewAppName } from '../../src/core/index.ts';

describe('checkConfigChanges', () => {
  it('refuses setting PORT and DYNO with the reason, and allows unsetting them (an app set up before can be repaired)', () => {
    expect(() => checkConfigChanges({}, { PORT: '80' })).toThrow(/PORT cannot be set: minicloud sets PORT/);
    expect(() => checkConfigChanges({}, { DYNO: 'x' })).toThrow(UserError);
    expect(() => checkConfigChanges({ PORT: '80' }, { PORT: null })).not.toThrow();
  });

  it('allows what changes how the app loads code: it reaches only the app', () => {
    expect(() => checkConfigChanges({}, { LD_PRELOAD: '/lib/libjemalloc.so.2', LD_LIBRARY_PATH: 'vendor/lib', NODE_OPTIONS: '--max-old-space-size=256', PATH: '/app/bin:/usr/bin:/bin', PYTHONPATH: 'src' })).not.toThrow();
  });

  it('counts the whole config against 32 KiB, with what unsetting frees', () => {
    const current = { A: 'x'.repeat(20_000) };
    expect(() => checkConfigChanges(current, { B: 'y'.repeat(20_000) })).toThrow(/the limit is 32768/);
    expect(() => checkConfigChanges(current, { A: null, B: 'y'.repeat(20_000) })).not.toThrow();
    expect(() => checkConfigChanges({}, { A: 'a\u0000b' })).toThrow(/NUL byte/);
  });
});

describe('validateNewAppName', () => {
  it('refuses the names of minicloud\'s own endpoints for new apps, while lookups of an existing app still pass', () => {
    for (const n of ['api', 'git', 'dashboard', 'metrics', 'internal', 'webhooks']) {
      expect(() => validateNewAppName(n)).toThrow(`${n} is reserved`);
      expect(validateAppName(n)).toBe(n);
    }
    expect(() => validateNewAppName('admin')).toThrow('admin is reserved');
    expect(validateNewAppName('www')).toBe('www');
    expect(validateNewAppName('api-gateway')).toBe('api-gateway');
  });
});
