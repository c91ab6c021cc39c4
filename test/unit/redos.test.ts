// Every regular expression in src/, proxy/ and the buildpacks' detection patterns is checked for catastrophic backtracking.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSafePattern } from 'redos-detector';
import { describe, expect, it } from 'vitest';
import { findRegexes, type FoundRegex } from '../helpers/regex-scan.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Expressions the detector flags (or cannot read) that stay, keyed by file and the expression as written, each with
 * why it is safe. Short on purpose: a pattern that sees pushed, client or app bytes is rewritten, not listed here.
 */
const ALLOWED: Record<string, string> = {
  'src/build/buildpacks.ts new RegExp(m.pattern, \'im\')': 'the patterns come from buildpacks/*/buildpack.json, each checked by this test below',
  'src/catalog/entries.ts new RegExp(`^(?:${pattern})$`, \'u\')': 'the patterns come from catalog/*.json inputs, each checked by this test below',
  'src/dashboard/catalog.js new RegExp(`^(?:${pattern})$`, \'u\')': 'in the admin\'s browser, the same catalog/*.json input patterns, each checked by this test below',
  'src/server/config.ts /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/': 'MINICLOUD_ACME_EMAIL, the operator\'s own setting',
  'src/api/inputs.ts /^[^\\s@/:]{1,64}@[a-z0-9.-]{1,190}\\.[a-z]{2,}$/i': 'users:add, an admin\'s own input; anchored, and the {1,190} bound caps backtracking at 190 steps per character',
  'proxy/index.ts /^\\.+|\\.+$/g': 'MINICLOUD_DOMAIN, the operator\'s own setting',
  'src/backups/target.ts /^\\/+|\\/+$/g': 'backups:target\'s URL, an admin\'s own setting, after it matched /^s3:\\/\\/…/',
  'src/cli/kit/config.ts /\\/+$/': 'the CLI user\'s own server URL, in their own CLI process',
  'src/cli/commands/logs.ts /\\.\\d+Z$/': 'in the CLI, on times the server wrote; the digit runs after each "." are disjoint, so one linear pass',
  'src/cli/commands/releases.ts /\\s*<[^>]*>$/': 'in the CLI, on a commit author the server cut to 200 characters',
  'src/core/image-ref.ts /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/':
    'only after the reference is checked to be at most 255 characters; anchored, every repeat starts with a separator; the detector times out on its size (adversarial 255-character inputs take < 0.2 ms)',
  'proxy/edge/forwarded.ts /^(?:\\[[^\\]]*\\]|[^:]*):(\\d{1,5})$/':
    'anchored; `[^:]*` and `[^\\]]*` cannot give back the character that ends them, so each backtracking step fails at once: one linear pass over a Host header the head limits bound',
};

const key = (r: FoundRegex) => `${r.at.split(':')[0]} ${r.text}`;

// With the m flag `^` matches after every line break: an unbounded quantifier right after it that can itself match a
// line break re-scans the rest from each line start (`^\s*x` over 60,000 blank lines blocked the event loop for 4-6 s).
const CROSSES_LINES = /^\^(?:\\s|\\S|\\W|\\D|\\n|\\r|\.|\[\^|\[\\s)/;

/** Why `source` with `flags` may backtrack catastrophically, or null when it may not. */
function problem(source: string, flags: string): string | null {
  if (flags.includes('m')) {
    const afterEachCaret = source.split('^').slice(1).map((s) => `^${s}`);
    const bad = afterEachCaret.find((s) => CROSSES_LINES.test(s) && /^\^(?:\\.|\[[^\]]*\]|.)[*+{]/.test(s));
    if (bad) return 'with the m flag, `^` followed by a repeat that crosses line breaks re-scans from every line start';
  }
  const r = isSafePattern(source, {
    caseInsensitive: flags.includes('i'), multiLine: flags.includes('m'), dotAll: flags.includes('s'), unicode: flags.includes('u') || flags.includes('v'),
    maxSteps: 20_000, // no wall-clock timeout: the verdict must not depend on how busy the machine is
  });
  return r.safe ? null : `redos-detector: ${r.error ?? 'unsafe'} (score ${r.score.infinite ? 'unbounded' : r.score.value})`;
}

function buildpackPatterns(): FoundRegex[] {
  const dir = join(ROOT, 'buildpacks');
  return readdirSync(dir).flatMap((name) => {
    let text: string;
    try {
      text = readFileSync(join(dir, name, 'buildpack.json'), 'utf8');
    } catch {
      return [];
    }
    const steps = Object.values(JSON.parse(text) as Record<string, unknown>).flat() as Array<{ whenMatch?: { pattern: string } }>;
    return steps.filter((s) => s?.whenMatch).map((s) => ({
      at: `buildpacks/${name}/buildpack.json`, source: s.whenMatch!.pattern, flags: 'im', text: s.whenMatch!.pattern,
    }));
  });
}

/** The catalog's input patterns, matched whole against an admin's `--set` values in the server. */
function catalogPatterns(): FoundRegex[] {
  const dir = join(ROOT, 'catalog');
  return readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'schema.json').flatMap((file) => {
    const entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { inputs?: Array<{ pattern: string }> };
    return (entry.inputs ?? []).map((i) => ({ at: `catalog/${file}`, source: `^(?:${i.pattern})$`, flags: 'u', text: i.pattern }));
  });
}

const found = findRegexes(ROOT, ['src', 'proxy']);

describe('linear-time regular expressions', () => {
  it('finds the expressions (the scan itself works)', () => {
    expect(found.length).toBeGreaterThan(50);
    expect(found.some((r) => r.at.startsWith('proxy/fast/head.ts'))).toBe(true);
    expect(buildpackPatterns().length).toBeGreaterThanOrEqual(4);
  });

  it('every expression in src/ and proxy/ is safe, or allowed with a reason', () => {
    const unsafe = found.flatMap((r) => {
      if (ALLOWED[key(r)]) return [];
      const why = r.source === null ? 'built at run time: check what it is built from and list it in ALLOWED' : problem(r.source, r.flags);
      return why ? [`${r.at} ${r.text.slice(0, 120)}: ${why}`] : [];
    });
    expect(unsafe, `unsafe regular expressions:\n${unsafe.join('\n')}\n`).toEqual([]);
  });

  it('every buildpack detection pattern (flags im, run over pushed files) is safe', () => {
    const unsafe = buildpackPatterns().flatMap((r) => {
      const why = problem(r.source!, r.flags);
      return why ? [`${r.at} ${r.text}: ${why}`] : [];
    });
    expect(unsafe, unsafe.join('\n')).toEqual([]);
  });

  it('every catalog input pattern (matched whole against --set values) is safe', () => {
    expect(catalogPatterns().length).toBeGreaterThanOrEqual(4);
    const unsafe = catalogPatterns().flatMap((r) => {
      const why = problem(r.source!, r.flags);
      return why ? [`${r.at} ${r.text}: ${why}`] : [];
    });
    expect(unsafe, unsafe.join('\n')).toEqual([]);
  });

  it('the checks catch the patterns that stalled minicloud before', () => {
    expect(problem('^\\s*["\']?gunicorn\\b', 'im')).toMatch(/m flag/);
    expect(problem('^([!#$%&\'*+.^_`|~0-9A-Za-z-]+):[\\t ]*([\\t\\x20-\\x7e]*?)[\\t ]*$', '')).toMatch(/redos-detector/);
    expect(problem('^([^:\\s]+)\\s*:\\s*(.+)$', '')).toMatch(/redos-detector/);
    expect(problem('^[ \\t]*["\']?gunicorn\\b', 'im')).toBeNull();
    expect(problem('^MemAvailable:\\s+(\\d+) kB', 'm')).toBeNull();
  });

  it('every allow-list entry still names an expression in the sources', () => {
    const keys = new Set(found.map(key));
    expect(Object.keys(ALLOWED).filter((k) => !keys.has(k))).toEqual([]);
  });
});
