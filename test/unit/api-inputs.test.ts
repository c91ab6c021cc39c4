// The API's request parsers: a body becomes the typed input a service takes, or a UserError saying what is wrong.
import { describe, expect, it } from 'vitest';
import { parseCatalogInstall, parseConfigChanges, parseNewAppName, parseRollback, parseRunCommand, parseScale, parseSleep } from '../../src/api/inputs.ts';

describe('request bodies into typed inputs', () => {
  it('config changes: sets and unsets, nothing else', () => {
    expect(parseConfigChanges({ FOO: 'bar', OLD: null }, 'shop')).toEqual({ FOO: 'bar', OLD: null });
    expect(() => parseConfigChanges({}, 'shop')).toThrow('send an object of config vars');
    expect(() => parseConfigChanges(['FOO'], 'shop')).toThrow('send an object of config vars');
    expect(() => parseConfigChanges({ FOO: 1 }, 'shop')).toThrow('config var FOO must be a string or null');
    expect(() => parseConfigChanges({ 'BAD KEY': 'x' }, 'shop')).toThrow();
  });

  it('scale counts are numbers (the formation checks types and range)', () => {
    expect(parseScale({ web: 2, worker: 0 }, 'shop')).toEqual({ web: 2, worker: 0 });
    expect(() => parseScale({ web: '2' }, 'shop')).toThrow('web="2": the count must be a whole number');
    expect(() => parseScale(null, 'shop')).toThrow('send the counts per process type');
  });

  it('sleep, rollback, one-off command and a new app name', () => {
    expect(parseSleep({ afterSeconds: 900 }, 'shop')).toEqual({ afterSeconds: 900, now: false });
    expect(parseSleep({ afterSeconds: null }, 'shop')).toEqual({ afterSeconds: null, now: false });
    expect(parseSleep({ now: true }, 'shop')).toEqual({ now: true });
    expect(() => parseSleep({ afterSeconds: '15m' }, 'shop')).toThrow('afterSeconds must be null');
    expect(parseRollback(undefined, 'shop')).toBeUndefined();
    expect(parseRollback({ version: 3 }, 'shop')).toBe(3);
    expect(() => parseRollback({ version: 0 }, 'shop')).toThrow('version must be a release number');
    expect(parseRunCommand({ command: 'node -v' }, 'shop')).toBe('node -v');
    expect(() => parseRunCommand({ command: '  ' }, 'shop')).toThrow('send the command to run');
    expect(parseNewAppName({ name: 'shop' })).toBe('shop');
    expect(() => parseNewAppName({ name: 'Bad Name' })).toThrow();
  });

  it('a catalog install: a name and a map of strings, nothing else', () => {
    expect(parseCatalogInstall({ name: 'contacts', set: { RADICALE_USER: 'alice' } })).toEqual({ name: 'contacts', set: { RADICALE_USER: 'alice' } });
    expect(parseCatalogInstall({ name: 'contacts' })).toEqual({ name: 'contacts', set: {} });
    expect(() => parseCatalogInstall({ name: 'contacts', from: 'x' })).toThrow('from: not a field of an install');
    expect(() => parseCatalogInstall({ set: {} })).toThrow("name must be the new app's name");
    expect(() => parseCatalogInstall({ name: 'c', set: { A: 1 } })).toThrow('set must map input names to strings');
    expect(() => parseCatalogInstall({ name: 'c', set: ['A=1'] })).toThrow('set must map input names to strings');
  });
});
