// config:set --file: the dotenv syntax read as dotenv reads it, and a bad line named by its number, never its value.
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/cli/kit/dotenv.ts';

describe('parseDotenv', () => {
  it('reads comments, export, quotes, escapes and multi-line values', () => {
    const text = [
      '\uFEFF# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      '  SPACED = around  ',
      'HASHED=a#b # a comment after a space',
      "SINGLE='literal \\n $HOME # kept'",
      'DOUBLE="tab\\there\\nnewline \\"quoted\\" \\\\ back"',
      'MULTI="line one',
      'line two" # comment',
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'URL=postgres://u:p@h/db?x=1',
      'LAST=wins',
      'LAST=last\r',
    ].join('\n');
    expect(parseDotenv(text, '.env')).toEqual({
      PLAIN: 'value', EXPORTED: 'yes', SPACED: 'around', HASHED: 'a#b', SINGLE: 'literal \\n $HOME # kept',
      DOUBLE: 'tab\there\nnewline "quoted" \\ back', MULTI: 'line one\nline two', EMPTY: '', EMPTY_QUOTED: '',
      URL: 'postgres://u:p@h/db?x=1', LAST: 'last',
    });
  });

  it('names the bad line by its number, after multi-line values too, and never shows the value', () => {
    const bad = (text: string) => { try { parseDotenv(text, '.env'); } catch (e) { return (e as Error).message; } return 'no error'; };
    expect(bad('A=1\nthis line has s3cr3t no equals\n')).toBe('.env line 2: expected KEY=value');
    expect(bad('A="one\ntwo"\n1BAD=s3cr3t')).toBe('.env line 3: invalid config var name "1BAD"');
    expect(bad('A=1\nB="s3cr3t never closed\nC=2')).toBe('.env line 2: the " quote opened here is never closed');
    expect(bad("A='s3cr3t' trailing")).toBe('.env line 1: unexpected text after the closing quote (quote the whole value)');
    for (const m of [bad('x s3cr3t'), bad('B="s3cr3t'), bad("A='s3cr3t' x")]) expect(m).not.toContain('s3cr3t');
  });
});
