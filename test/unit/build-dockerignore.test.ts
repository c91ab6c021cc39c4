// .dockerignore matching: the same answers as @balena/dockerignore's RegExps on ordinary patterns, in linear time on hostile ones.
import dockerignore from '@balena/dockerignore';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/build/context.ts';
import { globMatch } from '../../src/build/glob.ts';

// CommonJS: the factory is the module itself (with a `default` alias), as in context.ts.
const factory = ((dockerignore as unknown as { default?: unknown }).default ?? dockerignore) as () => unknown;
const dir = mkdtempSync(join(tmpdir(), 'mc-ignore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATTERNS = ['node_modules', '*.log', 'docs/*.md', '**/*.tmp', 'build/**', '**/cache/**', 'a?c', '[a-c]x', 'Dockerfile*', '.git', 'src/**/test', 'x\\*y', '**'];
const PATHS = ['node_modules', 'node_modules/x/y.js', 'app.log', 'logs/app.log', 'docs/a.md', 'docs/sub/a.md', 'a.tmp', 'x/y/z.tmp', 'build', 'build/out/a.js',
  'cache', 'p/cache/q', 'abc', 'a/c', 'bx', 'dx', 'Dockerfile', 'Dockerfile.prod', '.git', 'src/test', 'src/a/b/test', 'x*y', 'xay', 'README.md', 'APP.LOG'];

describe('glob matching', () => {
  it('answers as the RegExp balena builds would, on ordinary patterns', () => {
    for (const p of PATTERNS) {
      const rule = (factory() as unknown as { _compile(r: { pattern: string }): { regexp: RegExp } })._compile({ pattern: p });
      for (const path of PATHS) expect(globMatch(p, path), `${p} vs ${path}`).toBe(rule.regexp.test(path));
    }
  });

  it.each<[string, string, string]>([
    ['9 stars against a 40-character name (10.5 s with the RegExp)', '*a*a*a*a*a*a*a*a*a!', 'a'.repeat(4000)],
    ['8 double stars against a 40-deep path (over 20 s)', '**/**/**/**/**/**/**/**/x', `${'a/'.repeat(2000)}y`],
    ['a group the RegExp took as one (4.6 s for 26 a\'s)', '(a+)+b', 'a'.repeat(4000)],
  ])('%s: linear', (_what, pattern, path) => {
    const t = performance.now();
    expect(globMatch(pattern, path)).toBe(false);
    expect(performance.now() - t).toBeLessThan(200);
  });

  it('a lone [ is a literal (the RegExp threw from inside the build-context stream)', () => {
    expect(globMatch('[', '[')).toBe(true);
    expect(globMatch('a[b', 'a[b')).toBe(true);
  });
});

describe('the Docker build context with a hostile .dockerignore', () => {
  it('streams a tree past patterns that used to stall or throw, leaving out what they name', async () => {
    const src = join(dir, 'src.tar');
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    const packed = new Promise<void>((r) => pack.on('end', () => r()));
    for (const name of ['Dockerfile', 'a'.repeat(200), `${'d/'.repeat(50)}f`, 'constructor', 'app.log']) pack.entry({ name }, 'x');
    pack.finalize();
    await packed;
    writeFileSync(src, Buffer.concat(chunks));
    const t = performance.now();
    const out = buildContext({ sourceTar: src, dockerignore: '*a*a*a*a*a*a*a*a*a!\n**/**/**/**/**/**/**/**/x\n(a+)+b\n[\n*.log\nconstructor\n', extra: {} });
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (h, s, next) => { names.push(h.name); s.on('end', next); s.resume(); });
    await new Promise<void>((resolve, reject) => { extract.on('finish', resolve); out.on('error', reject); out.pipe(extract); });
    expect(performance.now() - t).toBeLessThan(1000);
    expect(names).toEqual(['Dockerfile', 'a'.repeat(200), `${'d/'.repeat(50)}f`]);
  });
});
