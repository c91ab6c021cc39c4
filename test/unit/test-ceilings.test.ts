// No test sets its own wall-clock limit: an it/describe/hook with a timeout argument (`}, 60_000)`) fails on a busy
// machine that is merely slow. Tests wait on the event under vitest's ceiling (test/vitest.config.ts), or name what
// they wait for with until(what, …).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const TEST = fileURLToPath(new URL('..', import.meta.url));
const VITEST = new Set(['it', 'test', 'describe', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'fixtures' || e.name === 'artifacts') return [];
    return e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [];
  });
}

/** `it`, `it.skipIf(x)`, `describe.each(t)`: the identifier the call chain starts from. */
function head(e: ts.Expression): ts.Expression {
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) e = e.expression;
  return e;
}

/** Where a vitest call is given a timeout: a number last, or `{ timeout }` options. */
function ownLimits(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const h = head(n.expression);
      const args = n.arguments;
      const limited = args.length >= 2 && (ts.isNumericLiteral(args[args.length - 1]!)
        || args.some((a) => ts.isObjectLiteralExpression(a) && a.properties.some((p) => p.name?.getText(sf) === 'timeout')));
      if (ts.isIdentifier(h) && VITEST.has(h.text) && limited) {
        found.push(`${relative(TEST, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

it('sets no per-test or per-hook timeout', () => {
  expect(files(TEST).flatMap(ownLimits)).toEqual([]);
});
