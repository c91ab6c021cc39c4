// The pre-receive hook each app repository runs: it hands the push to minicloud and relays the build log.
// It is plain JavaScript (no TypeScript loader) so a push does not pay for one; its output becomes `remote:` lines.
// It is an extensionless file, which Node reads as CommonJS or as an ES module depending on the nearest
// package.json (minicloud's own says "module" when the data dir is inside the checkout): so it uses only what
// both have, dynamic import() inside a function, and neither require nor top-level await.

export function hookScript(nodePath: string, hookConfigFile: string): string {
  return `#!${nodePath}
// Written by minicloud; rewritten at every start.
'use strict';
let readFileSync, execFileSync, cfg, app, headers;
const say = (s) => process.stdout.write(s + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(path, body) {
  const res = await fetch(cfg.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok) {
    const text = await res.text();
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
  for await (const chunk of res.body) {
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
  ({ readFileSync } = await import('node:fs'));
  ({ execFileSync } = await import('node:child_process'));
  const { basename } = await import('node:path');
  cfg = JSON.parse(readFileSync(${JSON.stringify(hookConfigFile)}, 'utf8'));
  app = basename(process.cwd()).replace(/\\.git$/, '');
  headers = { authorization: 'Bearer ' + cfg.token, 'content-type': 'application/json' };
  const updates = readFileSync(0, 'utf8').trim().split('\\n').filter(Boolean).map((l) => {
    const [oldrev, newrev, ref] = l.split(' ');
    return { oldrev, newrev, ref };
  });
  const plan = await (await post('/internal/hooks/plan', { app, updates })).json();
  for (const m of plan.messages) say(m);
  if (!plan.deploy) return 0;
  const { ref, newrev, oldrev, source } = plan.deploy;
  execFileSync('git', ['archive', '--format=tar', '-o', source, newrev], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [author, message] = execFileSync('git', ['log', '-1', '--format=%an <%ae>%x00%s', newrev], { encoding: 'utf8' }).trim().split('\0');
  const state = { seq: 0 };
  let res = await post('/internal/hooks/deploy', { app, ref, oldrev, newrev, source, author, message });
  const deployId = res.headers.get('x-deploy-id');
  let end = await relay(res, state).catch(() => null);
  // minicloud may restart mid-build; the job survives it, so follow the log again for a while.
  const giveUp = Date.now() + 15 * 60 * 1000;
  while (!end && Date.now() < giveUp) {
    await sleep(1000);
    try {
      res = await fetch(cfg.url + '/internal/hooks/deploys/' + deployId + '/log?after=' + state.seq, { headers });
      if (res.ok) end = await relay(res, state);
    } catch {}
  }
  if (!end) { say(' !     lost contact with minicloud; see \`minicloud logs ' + app + ' --build\`'); return 1; }
  return end.status === 'succeeded' ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  say(' !     ' + (e && e.message ? e.message : String(e)));
  process.exitCode = 1;
});
`;
}
