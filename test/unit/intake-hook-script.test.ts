// The pre-receive hook runs whatever the nearest package.json says about module types (the data dir may sit inside
// minicloud's own "type": "module" checkout, or anywhere else).
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookScript } from '../../src/intake/hook-script.ts';

let server: Server;
let url = '';
const root = mkdtempSync(join(tmpdir(), 'mc-hook-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const ok = req.url === '/internal/hooks/plan' && req.headers.authorization === 'Bearer hook-token';
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { messages: [`plan for ${JSON.parse(body).app}`], deploy: null } : { error: 'unexpected' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

/** Runs the hook as git does (no arguments, ref updates on stdin; none here), without blocking our server. */
function run(file: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, [], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d));
    c.stderr.on('data', (d: Buffer) => (output += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, output }));
    c.stdin.end();
  });
}

describe('pre-receive hook script', () => {
  for (const type of ['module', 'commonjs', null]) {
    it(`runs under a package.json of type ${type ?? '(none)'}`, async () => {
      const dir = join(root, `data-${type}`);
      const repo = join(dir, 'repos', 'hello.git');
      mkdirSync(join(repo, 'hooks'), { recursive: true });
      if (type) writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(dir, 'hook.json'), JSON.stringify({ url, token: 'hook-token' }));
      const hook = join(repo, 'hooks', 'pre-receive');
      writeFileSync(hook, hookScript(process.execPath, join(dir, 'hook.json')));
      chmodSync(hook, 0o700);
      const r = await run(hook, repo);
      expect(r.output).toBe('plan for hello\n');
      expect(r.code).toBe(0);
    });
  }
});
