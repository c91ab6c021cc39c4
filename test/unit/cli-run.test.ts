// Contract tests of `minicloud run`: the command line it sends, its streamed output and its exit code.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/index.ts';
import { printed, sendJson, useCliServer } from './cli-harness.ts';

const srv = useCliServer();
const run = srv.run;
const event = (e: RunEvent) => JSON.stringify(e) + '\n';

describe('run', () => {
  it('streams the output as it arrives and exits with the exit code', async () => {
    let release!: () => void;
    const firstLinePrinted = new Promise<void>((ok) => (release = ok));
    srv.handler = async (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(event({ type: 'line', seq: 1, time: '', text: 'migrating' }));
      await firstLinePrinted;
      res.write(event({ type: 'line', seq: 2, time: '', text: 'hello world\n' }) + event({ type: 'exit', code: 3 }));
      // The connection stays open: the exit event alone ends the command.
    };
    const pending = run(['run', 'my-app', '--', 'echo', 'hello world']);
    const streamed = (await printed(srv, 'migrating')) && srv.liveStdout() === 'migrating\n';
    release();
    const r = await pending;
    expect(streamed).toBe(true);
    expect(r).toEqual({ code: 3, stdout: 'migrating\nhello world\n', stderr: '' });
    expect(srv.seen).toEqual([{ method: 'POST', url: '/api/apps/my-app/run', auth: 'Bearer tok-123', body: { command: "echo 'hello world'" } }]);
  });

  it.each([
    [['my-app', '--', 'ls'], 'ls'],
    [['my-app', 'node', '-e', 'console.log(1)'], "node -e 'console.log(1)'"],
    [['-a', 'my-app', 'ls', '-la'], 'ls -la'],
    [['--app=my-app', '--', 'ls', '-a', 'my-app'], 'ls -a my-app'],
    [['my-app', 'npm', 'test', '--', '--watch'], 'npm test -- --watch'],
    [['my-app', '--', 'sh', '-c', 'echo $HOME; ls'], "sh -c 'echo $HOME; ls'"],
    [['my-app', 'echo', "it's", '', 'a*b'], "echo 'it'\\''s' '' 'a*b'"],
    [['my-app', 'FOO=1', 'node', 'x.js'], 'FOO=1 node x.js'],
    [['my-app', 'ls | wc -l'], 'ls | wc -l'],
  ])('run %j sends %j', async (argv, command) => {
    srv.handler = (_q, res) => void res.writeHead(200).end(event({ type: 'exit', code: 0 }));
    const r = await run(['run', ...argv]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(srv.seen[0]?.body).toEqual({ command });
  });

  it.each([[['my-app']], [['my-app', '--']], [['my-app', '--', '']]])('refuses %j: no command', async (argv) => {
    const r = await run(['run', ...argv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ ! {5}no command given\n ! {5}usage: minicloud run <app> -- <command\.\.\.>/);
    expect(srv.seen).toEqual([]);
  });

  it('a stream that ends or breaks without an exit event is a lost connection', async () => {
    srv.handler = (_q, res) => void res.writeHead(200).end(event({ type: 'line', seq: 1, time: '', text: 'half' }));
    const ended = await run(['run', 'my-app', 'true']);
    expect(ended.code).toBe(1);
    expect(ended.stdout).toBe('half\n');
    expect(ended.stderr.split('\n')[0]).toBe(' !     lost the connection before the command ended');
    srv.handler = async (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(event({ type: 'line', seq: 1, time: '', text: 'half' }));
      await new Promise((ok) => setTimeout(ok, 50));
      res.destroy();
    };
    const broken = await run(['run', 'my-app', 'true']);
    expect(broken).toMatchObject({ code: 1, stdout: 'half\n' });
    expect(broken.stderr.split('\n')[0]).toBe(' !     lost the connection before the command ended');
  });

  it('renders an API error', async () => {
    srv.handler = (_q, res) => sendJson(res, 409, { error: 'my-app has no release yet', hint: 'push to deploy it first' });
    const r = await run(['run', 'my-app', 'ls']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: ' !     my-app has no release yet\n !     push to deploy it first\n' });
  });
});
