// store: each table has its repository file and its row type; rows come back typed from the query, never cast.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../src/store', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts')).map((f) => ({ f, text: readFileSync(join(DIR, f), 'utf8') }));

it('casts no database row: queries say their row type (prepare<Params, Row>)', () => {
  const casts = files.flatMap(({ f, text }) =>
    [...text.matchAll(/\.(get|all|iterate)\([^;]*?\)\s+as\s+[^;]+/g)].map((m) => `${f}: ${m[0].slice(0, 80)}`));
  expect(casts).toEqual([]);
});

it('names each repository <Table>Table, each in its own file with its row interface', () => {
  const classes = files.flatMap(({ f, text }) => [...text.matchAll(/export class (\w+)/g)].map((m) => ({ f, name: m[1]!, text })));
  for (const c of classes.filter((x) => x.name !== 'Store')) {
    expect(c.name, c.f).toMatch(/^[A-Z]\w*Table$/);
    expect(c.text, c.f).toMatch(/export (interface|type) \w+Row\b/);
  }
  expect(classes.filter((c) => c.name !== 'Store').length).toBeGreaterThanOrEqual(19);
});
