// build: `npm start` as the start script's own command, run for real through `sh -c "exec …"` as the runtimes run it.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBuildpacks, planFor } from '../../src/build/index.ts';
import { npmScript } from '../../src/build/npm-script.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mc-npm-script-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function app(pkg: object, files: Record<string, string> = {}): string {
  const dir = join(tmp, `app-${++n}`);
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o755 });
  return dir;
}

/** Runs the command as the process runtime does (`sh -c "exec <command>"`); its output and exit code. */
function run(dir: string, command: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('/bin/sh', ['-c', `exec ${command}`], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('close', (code) => resolve({ code, out }));
  });
}

const direct = (dir: string, event = 'start') => {
  const s = npmScript(dir, event, `npm ${event}`);
  if (!s.direct) throw new Error(`not direct: ${s.why}`);
  return s.command;
};

describe('npmScript', () => {
  it('runs a plain start script as the process itself: no npm, no shell left in the tree', async () => {
    // The script reports its own process: its parent is whoever spawned sh, so nothing sits in between.
    const dir = app({ name: 'hello', version: '1.2.3', scripts: { start: 'node report.js' } }, {
      'report.js': 'const fs = require("fs"); console.log(JSON.stringify({ comm: fs.readFileSync(`/proc/${process.ppid}/comm`, "utf8").trim(), pid: process.pid, env: process.env, argv0: process.argv0 }));',
    });
    const command = direct(dir);
    const c = spawn('/bin/sh', ['-c', `exec ${command}`], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => c.on('close', r));
    const seen = JSON.parse(out) as { pid: number; env: Record<string, string> };
    expect(seen.pid).toBe(c.pid); // sh and env exec'd: the pid minicloud holds is node's
    expect(seen.env).toMatchObject({
      npm_package_name: 'hello', npm_package_version: '1.2.3', npm_lifecycle_event: 'start', npm_lifecycle_script: 'node report.js',
      npm_package_json: join(dir, 'package.json'), INIT_CWD: dir,
    });
    expect(seen.env.PATH!.split(':')[0]).toBe(join(dir, 'node_modules/.bin'));
  });

  it('finds programs in node_modules/.bin, and keeps leading VAR=value assignments', async () => {
    const dir = app({ name: 'a', scripts: { start: 'GREETING=hi  OTHER=x  my-server --flag' } }, {
      'node_modules/.bin/my-server': '#!/bin/sh\necho "$GREETING $OTHER $1 $npm_package_name"\n',
    });
    expect(await run(dir, direct(dir))).toEqual({ code: 0, out: 'hi x --flag a\n' });
  });

  it('runs shell syntax (&&, quotes, $VAR, redirects) through sh -c, as npm does', async () => {
    const dir = app({ name: 'a', scripts: { start: `echo "one $npm_lifecycle_event" && echo 'it''s' > out.txt && cat out.txt; exit 3` } });
    const r = await run(dir, direct(dir));
    expect(r).toEqual({ code: 3, out: 'one start\nits\n' });
  });

  it("passes package.json's values with quotes and $ through untouched (no shell expansion of them)", async () => {
    const dir = app({ name: "it's", version: '$(touch pwned)`id`', config: { port: '80 80' }, scripts: { start: 'node -p process.env.npm_package_version+process.env.npm_package_name+process.env.npm_package_config_port' } });
    const r = await run(dir, direct(dir));
    expect(r.out).toBe("$(touch pwned)`id`it's80 80\n");
    expect(() => readFileSync(join(dir, 'pwned'))).toThrow();
  });

  it("uses npm's default `node server.js` when there is no start script but a server.js", async () => {
    const dir = app({ name: 'a' }, { 'server.js': 'console.log("server")' });
    expect(await run(dir, direct(dir))).toEqual({ code: 0, out: 'server\n' });
  });

  it('keeps npm, saying why, where npm does more than run the script', () => {
    const cases: Array<[object, RegExp]> = [
      [{ scripts: { prestart: 'x', start: 'node s.js' } }, /"prestart" script/],
      [{ scripts: { start: 'node s.js', poststart: 'x' } }, /"poststart" script/],
      [{ scripts: {} }, /no "start" script/],
      [{ scripts: { start: 'A=1' } }, /runs no command/],
      [{ scripts: { start: 'node s.js' }, config: { 'bad name!': 1 } }, /unusual variables/],
    ];
    for (const [pkg, why] of cases) {
      const s = npmScript(app(pkg), 'start', 'npm start');
      expect(s).toMatchObject({ direct: false, command: 'npm start' });
      expect(!s.direct && s.why).toMatch(why);
    }
    const broken = join(tmp, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'package.json'), '{ not json');
    expect(npmScript(broken, 'start', 'npm start')).toMatchObject({ direct: false, why: /could not be read/ });
  });
});

describe('the node buildpack plan', () => {
  const node = loadBuildpacks().find((p) => p.name === 'node')!;

  it('runs web and the build script directly, the build step keeping its name, and says so', () => {
    const dir = app({ name: 'a', scripts: { start: 'node server.js', build: 'node build.js' } });
    const plan = planFor(dir, node);
    expect(plan.processes.web).toMatch(/^env PATH="\$PWD\/node_modules\/\.bin:\$PATH" .* node server\.js$/);
    expect(plan.build).toEqual(['npm run build']);
    expect(plan.run?.['npm run build']).toMatch(/npm_lifecycle_event='build' .* node build\.js$/);
    expect(plan.notes).toEqual([
      '`npm start` runs the script\'s command directly, with no npm process beside it',
      '`npm run build` runs the script\'s command directly, with no npm process beside it',
    ]);
  });

  it("leaves a Procfile's own web command alone", () => {
    const dir = app({ name: 'a', scripts: { start: 'node server.js' } }, { Procfile: 'web: node other.js\n' });
    expect(planFor(dir, node).processes.web).toBe('node other.js');
  });
});
