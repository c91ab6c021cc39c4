// Test helper: every regular expression in minicloud's sources (TypeScript compiler API), for the ReDoS check.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FoundRegex {
  /** file:line, relative to the repository root. */
  at: string;
  /** The pattern's source, or null when it is built at run time (not a literal). */
  source: string | null;
  flags: string;
  /** The expression as written, for messages. */
  text: string;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(p);
    return /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

const literal = (n: ts.Node | undefined): string | null =>
  n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null;

/** Every regex literal and `new RegExp(…)` / `RegExp(…)` call under `dirs`. */
export function findRegexes(root: string, dirs: string[]): FoundRegex[] {
  const found: FoundRegex[] = [];
  for (const file of dirs.flatMap((d) => files(join(root, d)))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const at = (n: ts.Node) => `${relative(root, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
    const visit = (n: ts.Node): void => {
      if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = n.getText(sf);
        const end = text.lastIndexOf('/');
        found.push({ at: at(n), source: text.slice(1, end), flags: text.slice(end + 1), text });
      } else if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp') {
        const [pattern, flags] = n.arguments ?? [];
        found.push({ at: at(n), source: literal(pattern), flags: literal(flags) ?? '', text: n.getText(sf) });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return found;
}
