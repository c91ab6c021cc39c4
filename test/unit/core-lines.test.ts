// Line splitting of untrusted output: linear in the input, every line cut at MAX_LINE, whoever splits.
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUT_MARK, LineSplitter, MAX_LINE, runCommand, tailFile } from '../../src/core/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SIXTEEN_MB = 16 * 1024 * 1024;
/** Lines as `length:first char` (a failed comparison of 16 KiB lines would print them whole). */
const brief = (lines: string[]) => lines.map((l) => `${l.length}:${l[0]}${l.endsWith(CUT_MARK) ? ':cut' : ''}`);
const cut = (c: string) => `${MAX_LINE + CUT_MARK.length}:${c}:cut`;

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and (with cr) \\r, also when the ends fall between chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), { cr: true });
    for (const c of ['a\r', '\nb', '\rc\n', '\r', '\n', 'd']) s.push(c);
    s.end();
    expect(lines).toEqual(['a', 'b', 'c', '', 'd']);
  });

  it('cuts a long line once, and takes up the next line whole', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (let i = 0; i < 100; i++) s.push('y'.repeat(1000));
    s.push('\nnext\n');
    expect(lines).toEqual([`${'y'.repeat(MAX_LINE)}${CUT_MARK}`, 'next']);
  });

  it('takes linear time: 16 MB without a newline, in 64 KiB chunks, is split in well under a second', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const chunk = 'x'.repeat(64 * 1024);
    const started = performance.now();
    for (let n = 0; n < SIXTEEN_MB; n += chunk.length) s.push(chunk);
    s.push('\n');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lines.length).toBe(1);
    expect(lines[0]!.length).toBe(MAX_LINE + CUT_MARK.length);
  });
});

describe('runCommand', () => {
  it('cuts a 16 MB line without a newline and stays linear (7.7 s of the main thread before)', async () => {
    const lines: string[] = [];
    const started = performance.now();
    const code = await runCommand(`head -c ${SIXTEEN_MB} /dev/zero | tr '\\0' x; echo; echo after`, { cwd: dir, env: { PATH: process.env.PATH! }, onLine: (l) => lines.push(l) });
    const ms = performance.now() - started;
    expect(code).toBe(0);
    expect(brief(lines)).toEqual([cut('x'), '5:a']);
    expect(ms).toBeLessThan(3000); // includes the shell pipeline writing 16 MB
  });
});

describe('tailFile', () => {
  it('cuts long lines in the backlog and while following', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, `${'a'.repeat(100_000)}\nshort\n`);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => { for await (const l of tailFile(file, { lines: 10, follow: true, signal: ac.signal })) { seen.push(l); if (l === 'after') ac.abort(); } })();
    await new Promise((r) => setTimeout(r, 300));
    for (let n = 0; n < SIXTEEN_MB; n += 1024 * 1024) appendFileSync(file, 'z'.repeat(1024 * 1024));
    appendFileSync(file, '\nafter\n');
    const started = performance.now();
    await done;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(brief(seen)).toEqual([cut('a'), '5:s', cut('z'), '5:a']);
  });
});
