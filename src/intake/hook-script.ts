// The pre-receive hook each app repository runs: it hands the push to minicloud and relays the build log.
// It is plain JavaScript (no TypeScript loader) so a push does not pay for one; its output becomes `remote:` lines.
// It is an extensionless file, which Node reads as CommonJS or as an ES module depending on the nearest
// package.json (minicloud's own says "module" when the data dir is inside the checkout): so it uses only what
// both have, dynamic import() inside a function, and neither require nor top-level await.

export function hookScript(nodePath: string, hookConfigFile: string): string {
  return `#!${nodePath}
// Written by minicloud; rewritten at every start.
'use strict';
let readFileSync, writeSync, execFileSync, request, cfg, app, headers, server;
const pause = new Int32Array(new SharedArrayBuffer(4));
// Synchronous: a line that cannot reach git (the push's connection is gone) throws here instead of vanishing unseen.
const say = (s) => {
  if (!writeSync) return void process.stdout.write(s + '\\n');
  const b = Buffer.from(s + '\\n');
  for (let o = 0; o < b.length;) {
    try { o += writeSync(1, b, o); } catch (e) { if (e.code !== 'EAGAIN') throw e; Atomics.wait(pause, 0, 0, 10); }
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The minicloud process that serves this push's git connection is the parent of git-receive-pack, our parent.
// Once it is gone (killed), nothing printed here reaches the pusher any more.
function stat(pid) { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' '); }
function gitServer() { try { const pid = Number(stat(process.ppid)[1]); return { pid, start: stat(pid)[19] }; } catch { return null; } }
const connected = () => { try { return !server || stat(server.pid)[19] === server.start; } catch { return false; } };

// node:http, not fetch: fetch loads undici at its first call, 0.05-0.1 s of every push on a loaded host.
// No agent: one connection per request, closed after it, so nothing keeps the hook from exiting.
function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(cfg.url + path, { method, headers, agent: false }, resolve);
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
async function textOf(res) {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  return text;
}

async function post(path, body) {
  const res = await call('POST', path, body);
  if (res.statusCode < 200 || res.statusCode > 299) {
    const text = await textOf(res);
    let msg = text;
    try { const j = JSON.parse(text); msg = j.error + (j.hint ? '\\n ' + '!     ' + j.hint : ''); } catch {}
    throw new Error(msg);
  }
  return res;
}

// Relays NDJSON log events; returns the end event, or null when the stream broke first.
async function relay(res, state) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line) continue;
      const e = JSON.parse(line);
      if (e.type === 'line' && e.seq > state.seq) { state.seq = e.seq; say(e.text); }
      if (e.type === 'end') return e;
    }
  }
  return null;
}

async function main() {
  ({ readFileSync, writeSync } = await import('node:fs'));
  server = gitServer();
  ({ execFileSync } = await import('node:child_process'));
  ({ request } = await import('node:http'));
  const { basename } = await import('node:path');
  cfg = JSON.parse(readFileSync(${JSON.stringify(hookConfigFile)}, 'utf8'));
  app = basename(process.cwd()).replace(/\\.git$/, '');
  headers = { authorization: 'Bearer ' + cfg.token, 'content-type': 'application/json' };
  const updates = readFileSync(0, 'utf8').trim().split('\\n').filter(Boolean).map((l) => {
    const [oldrev, newrev, ref] = l.split(' ');
    return { oldrev, newrev, ref };
  });
  const plan = JSON.parse(await textOf(await post('/internal/hooks/plan', { app, updates })));
  for (const m of plan.messages) say(m);
  if (!plan.deploy) return 0;
  const { ref, newrev, oldrev, upload, archive } = plan.deploy;
  execFileSync('git', ['archive', '--format=tar', '-o', archive, newrev], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [author, message] = execFileSync('git', ['log', '-1', '--format=%an <%ae>%x00%s', newrev], { encoding: 'utf8' }).trim().split('\0');
  const state = { seq: 0 };
  let res = await post('/internal/hooks/deploy', { app, ref, oldrev, newrev, upload, author, message });
  const deployId = res.headers['x-deploy-id'];
  say('       (should this connection drop, the deploy goes on: \`minicloud logs ' + app + ' --build\` shows how it ends)');
  let end = await relay(res, state).catch(() => null);
  // minicloud may restart mid-build; the job survives it, so follow the log again for a while.
  if (!end) say(' !     The connection to minicloud was lost (is it restarting?); the deploy goes on there. Following it again...');
  const giveUp = Date.now() + 15 * 60 * 1000;
  while (!end && Date.now() < giveUp) {
    // The push's own connection died with its minicloud: fail it, so the branch stays and the next push tells the outcome.
    if (!connected()) return 1;
    await sleep(1000);
    try {
      res = await call('GET', '/internal/hooks/deploys/' + deployId + '/log?after=' + state.seq);
      if (res.statusCode === 200) end = await relay(res, state);
      else res.resume();
    } catch {}
  }
  if (!end) { say(' !     Lost contact with minicloud; see how this deploy ends with \`minicloud logs ' + app + ' --build\`'); return 1; }
  if (!connected()) return 1;
  // Every line reached git and its connection: the pusher saw the end, so the next push need not tell it.
  await call('POST', '/internal/hooks/deploys/' + deployId + '/told').then((r) => new Promise((done) => { r.on('close', done); r.resume(); }), () => {});
  return end.status === 'succeeded' ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  say(' !     ' + (e && e.message ? e.message : String(e)));
  process.exitCode = 1;
});
`;
}
