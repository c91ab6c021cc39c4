// Hostile pushed trees without a server: the archive check, the no-follow reader, and errors that quote only an excerpt.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSourceArchive, staysInside } from '../../src/build/archive.ts';
import { loadBuildpacks, parseManifest, parseProcfile, planFor, readManifest } from '../../src/build/index.ts';
import { readTreeFile } from '../../src/build/tree-file.ts';
import { UserError } from '../../src/core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-tree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Entry = Partial<tar.Header> & { name: string; body?: string };

async function archive(entries: Entry[]): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.tar`);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const { body, ...h } of entries) pack.entry(h as tar.Header, body ?? '');
  pack.finalize();
  await done;
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

const refusal = async (entries: Entry[], max = 1 << 20): Promise<string> => {
  const e = await checkSourceArchive(await archive(entries), max).then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(UserError);
  return (e as UserError).message;
};

describe('the pushed archive', () => {
  it('passes what git archive makes, links inside the tree included', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'sub'), { recursive: true });
    writeFileSync(join(repo, 'app.py'), 'print(1)\n');
    symlinkSync('../app.py', join(repo, 'sub', 'copy.py'));
    symlinkSync('sub', join(repo, 'alias'));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x'], { cwd: repo });
    execFileSync('git', ['archive', '--format=tar', '-o', join(dir, 'git.tar'), 'HEAD'], { cwd: repo });
    await expect(checkSourceArchive(join(dir, 'git.tar'), 1 << 20)).resolves.toBeUndefined();
  });

  it.each<[string, Entry[], string]>([
    ['an absolute name', [{ name: '/etc/cron.d/x', body: 'x' }], 'an entry outside the repository: "/etc/cron.d/x"'],
    ['a name climbing out', [{ name: 'a/../../x', body: 'x' }], 'an entry outside the repository'],
    ['an absolute link', [{ name: 'Procfile', type: 'symlink', linkname: '/proc/self/environ' }], 'Procfile is a link to a file outside the repository ("/proc/self/environ")'],
    ['a relative link climbing out', [{ name: 'a/b', type: 'symlink', linkname: '../../etc/passwd' }], 'a/b is a link to a file outside the repository'],
    ['a hard link out', [{ name: 'x', type: 'link', linkname: '../x' }], 'x is a link to a file outside the repository'],
    ['a character device', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }], '"null" is a character-device'],
    ['a block device', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }], '"sda" is a block-device'],
    ['a FIFO', [{ name: 'pipe', type: 'fifo' }], '"pipe" is a fifo'],
    ['a link chain that climbs out (d/b -> .., a -> d/b/..)', [
      { name: 'd', type: 'directory' }, { name: 'd/b', type: 'symlink', linkname: '..' }, { name: 'a', type: 'symlink', linkname: 'd/b/..' },
    ], 'a is a link to a file outside the repository (through other links'],
    ['a link loop', [{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }], 'or in a loop'],
    ['a file written through a link', [{ name: 'lib', type: 'symlink', linkname: 'sub' }, { name: 'lib/x', body: 'x' }], 'lib/x lies inside a link'],
    ['one name twice', [{ name: 'Procfile', body: 'web: a' }, { name: 'Procfile', body: 'web: b' }], 'holds "Procfile" twice'],
  ])('refuses %s', async (_what, entries, message) => {
    expect(await refusal(entries)).toContain(message);
  });

  it('refuses a tree over the size limit, saying how to fix it', async () => {
    const message = await refusal([{ name: 'a', body: 'x'.repeat(600_000) }, { name: 'b', body: 'y'.repeat(600_000) }], 1024 * 1024);
    expect(message).toBe("the pushed tree is larger than 1 MiB, minicloud's limit for one push");
  });

  it('resolves links component by component', () => {
    const links = new Map([['d/b', '..'], ['up', '../x'], ['ok', 'd/b/d']]);
    expect(staysInside('ok', links)).toBe(true);
    expect(staysInside('d/b/..', links)).toBe(false);
    expect(staysInside('up', links)).toBe(false);
  });
});

describe('files minicloud reads from the tree', () => {
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });

  it('refuses a link, even one inside the tree, without reading it', () => {
    writeFileSync(join(tree, 'real'), 'web: x\n');
    symlinkSync('real', join(tree, 'Procfile'));
    expect(() => readTreeFile(tree, 'Procfile', { limit: 100 })).toThrow('Procfile is a link; minicloud reads Procfile only as a plain file');
    expect(() => planFor(tree, loadBuildpacks()[1]!)).toThrow(UserError);
  });

  it('refuses a FIFO at once (no open that waits for a writer) and a directory', () => {
    execFileSync('mkfifo', [join(tree, 'app.json')]);
    mkdirSync(join(tree, 'cloud_manifest.yml'));
    expect(() => readManifest(tree)).toThrow('cloud_manifest.yml is not a plain file');
    rmSync(join(tree, 'cloud_manifest.yml'), { recursive: true });
    expect(() => readManifest(tree)).toThrow('app.json is not a plain file');
  });

  it('refuses a file over its limit, or reads only its start where detection asks', () => {
    writeFileSync(join(tree, 'big'), 'a'.repeat(200_000));
    expect(() => readTreeFile(tree, 'big', { limit: 65_536 })).toThrow('big is 200000 bytes; minicloud reads at most 65536');
    expect(readTreeFile(tree, 'big', { limit: 65_536, truncate: true })).toHaveLength(65_536);
    expect(readTreeFile(tree, 'absent', { limit: 10 })).toBeNull();
  });

  it('quotes at most a short excerpt of a bad file in its errors', () => {
    const secret = `SECRET=${'s'.repeat(5000)}`;
    const messages = [
      () => parseProcfile(secret),
      () => parseManifest(JSON.stringify(secret)),
      () => parseManifest(`healthcheck: ${JSON.stringify(secret)}`),
    ].map((f) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('no error');
    });
    for (const m of messages) expect(m.length, m).toBeLessThan(200);
    const appJson = join(dir, 'appjson');
    mkdirSync(appJson);
    writeFileSync(join(appJson, 'app.json'), `${secret}\u0000`);
    expect(() => readManifest(appJson)).toThrow(/^app\.json is not valid JSON( \(at character \d+\))?$/);
  });
});

describe('a hostile cloud_manifest.yml', () => {
  const N = 8 * 1024 - 16;
  it.each<[string, string, RegExp]>([
    ['65,536-deep [ (overflowed the parser\'s stack, then aborted the process)', '['.repeat(N), /nests \[ \] or \{ \} deeper than 16/],
    ['deep { ', '{'.repeat(N), /deeper than 16/],
    ['a line of nested - entries', '- '.repeat(N / 2), /more than 16 nested entries/],
    ['nested ? keys', '? '.repeat(N / 2), /more than 16 nested entries/],
    ['thousands of tags (21,000 took 2.8-3.4 s)', '!a '.repeat(N / 3), /more than 16 tags/],
    ['thousands of anchors', Array.from({ length: 900 }, (_, i) => `a${i}: &x${i} 1`).join('\n').slice(0, N), /more than 16 tags/],
  ])('refuses %s before parsing it', (_what, text, message) => {
    const t = performance.now();
    expect(() => parseManifest(text)).toThrow(message);
    expect(performance.now() - t).toBeLessThan(100);
  });

  it('refuses one over 8 KiB, and parses the rest of the hostile shapes at that size without stalling', () => {
    expect(() => parseManifest(`# ${'x'.repeat(9000)}`)).toThrow('cloud_manifest.yml is 9002 characters; minicloud reads at most 8192');
    for (const text of [
      Array.from({ length: 1500 }, (_, i) => `k${i}: v`).join('\n').slice(0, N), // unique-key checks are quadratic
      '\n'.repeat(N),
      `a: &a [1]\nb: [${'*a,'.repeat(2000).slice(0, N - 20)}]`,
    ]) {
      const t = performance.now();
      try {
        parseManifest(text);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
      }
      expect(performance.now() - t).toBeLessThan(1000); // tens of ms once warm; 289 KB of keys took 43 s before any limit
    }
  });

  it('keeps what real manifests hold: && in commands, ! and & inside them, flow maps and lists', () => {
    const m = parseManifest('name: shop\nexpose: { proto: http, port: 8080 }\nneeds: [database, redis]\ncron:\n  - schedule: "*/5 * * * *"\n    command: test ! -f x && node a.js & wait\n');
    expect(m.cron?.[0]?.command).toBe('test ! -f x && node a.js & wait');
  });
});
