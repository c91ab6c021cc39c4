// Parsers that see pushed or app bytes finish in linear time: bounds generous enough for a shared machine, far below the old cost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBuildpacks, parseProcfile, planFor } from '../../src/build/index.ts';
import { checkDockerfile } from '../../src/build/dockerfile-check.ts';
import { validateBranch, validateMountPath } from '../../src/core/index.ts';
import { parseRequest, parseResponse } from '../../proxy/fast/head.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-linear-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
};

describe('buildpack detection over a hostile dependency list', () => {
  const python = loadBuildpacks().find((p) => p.name === 'python')!;
  const ruby = loadBuildpacks().find((p) => p.name === 'ruby')!;

  it('a requirements.txt of 60,000 blank lines is read in milliseconds (it blocked the event loop 4-6 s)', () => {
    writeFileSync(join(dir, 'app.py'), '');
    writeFileSync(join(dir, 'requirements.txt'), '\n'.repeat(60_000));
    const [, ms] = timed(() => expect(() => planFor(dir, python)).toThrow('this python app has no web command'));
    expect(ms).toBeLessThan(200);
  });

  it('reads only the first 64 KiB: a 20 MB Gemfile of blank lines costs no more, and a late gem is not seen', () => {
    const gemfile = join(dir, 'Gemfile');
    writeFileSync(gemfile, `${'\n'.repeat(20_000_000)}gem 'puma'\n`);
    const [, ms] = timed(() => expect(() => planFor(dir, ruby)).toThrow('this ruby app has no web command'));
    expect(ms).toBeLessThan(200);
    writeFileSync(gemfile, `source 'https://rubygems.org'\n\n  gem "puma", "~> 6"\n`);
    expect(planFor(dir, ruby).processes.web).toMatch(/^bundle exec puma /);
    rmSync(gemfile);
  });

  it('still finds an indented dependency (pyproject.toml lists) and ignores a mere mention', () => {
    writeFileSync(join(dir, 'requirements.txt'), 'flask\n\n\n\t"gunicorn>=21",\n');
    expect(planFor(dir, python).processes.web).toMatch(/^gunicorn .* app:app$/);
    writeFileSync(join(dir, 'requirements.txt'), 'flask  # not gunicorn\n');
    expect(() => planFor(dir, python)).toThrow('no web command');
  });
});

describe('the router fast path over hostile heads', () => {
  const pad = (n: number) => `a${' '.repeat(n)}b`;

  it('an app header of 16,000 spaces parses in well under a millisecond per kilobyte (it took ~340-920 ms)', () => {
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ${pad(16_000)}\r\n\r\n`, 'latin1');
    const [r, ms] = timed(() => parseResponse(head));
    expect(r).toMatchObject({ status: 200, length: 2 });
    expect(ms).toBeLessThan(100);
  });

  it('a request header of spaces up to the head limit, likewise (it took ~270 ms at 8,000)', () => {
    const head = Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${pad(8_000)}\r\n\r\n`, 'latin1');
    const [r, ms] = timed(() => parseRequest(head));
    expect(r).not.toBe('incomplete');
    expect(ms).toBeLessThan(100);
  });

  it('trims OWS around values and refuses what the old pattern refused', () => {
    const r = parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nX-A: \t v \t \r\nContent-Length:0\r\n\r\n', 'latin1'));
    expect(r).toMatchObject({ lines: 'X-A: \t v \t \r\nContent-Length:0\r\n', length: 0 });
    const q = parseRequest(Buffer.from('GET / HTTP/1.1\r\nHost:   h.example   \r\n\r\n', 'latin1'));
    expect(q).toMatchObject({ host: 'h.example' });
    for (const bad of ['Host : h', ': h', 'Ho st: h', 'Host']) {
      expect(parseRequest(Buffer.from(`GET / HTTP/1.1\r\n${bad}\r\n\r\n`, 'latin1'))).toBeNull();
    }
  });
});

describe('names and Procfiles', () => {
  it('a Procfile line of 60,000 spaces and a stray CR is refused at once (the old pattern was quadratic)', () => {
    const [, ms] = timed(() => expect(() => parseProcfile(`web:${' '.repeat(60_000)}\ra\rb`)).toThrow('Procfile line 1'));
    expect(ms).toBeLessThan(200);
    expect(parseProcfile('web :  node server.js  \nworker:x')).toEqual({ web: 'node server.js', worker: 'x' });
    expect(() => parseProcfile('web:   ')).toThrow('Procfile line 1');
    expect(() => parseProcfile('we b: x')).toThrow('Procfile line 1');
  });

  it('a Dockerfile line of ADD, 100,000 spaces and stray CRs is read at once (20,000 took 1.4 s)', () => {
    const [, ms] = timed(() => checkDockerfile(`FROM x\nADD${' '.repeat(100_000)}\rx\ry\n`));
    expect(ms).toBeLessThan(200);
    expect(() => checkDockerfile('FROM x\nADD \\  \r\n  https://10.0.0.1/x /x\n')).toThrow(/ADD <url>/);
    expect(() => checkDockerfile('FROM x\nRUN echo \\\n  ADD https://x/ y\n')).not.toThrow();
  });

  it('branch names keep their rules, checked by code', () => {
    for (const ok of ['main', 'feature/x-1', 'v1.2', 'a_b']) expect(validateBranch(ok)).toBe(ok);
    for (const bad of ['/a', 'a/', 'a//b', 'a..b', 'a@{1}', 'x.lock', 'x.', '-x', '', 'a b', 'x'.repeat(201)]) {
      expect(() => validateBranch(bad), bad).toThrow('invalid branch name');
    }
  });

  it('a storage path of 100,000 slashes is refused at once', () => {
    const [, ms] = timed(() => expect(() => validateMountPath(`/${'/'.repeat(100_000)}x`)).toThrow());
    expect(ms).toBeLessThan(500); // quadratic before: ~5e9 steps
    expect(validateMountPath('/data///')).toBe('/data');
  });
});
