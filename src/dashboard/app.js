// The minicloud dashboard: a client of the REST API (/api), like the CLI. Vanilla JS, no build step.
// Everything shown comes from the API through fetch; data enters the page as text nodes only (never as HTML).

const $ = (sel) => document.querySelector(sel);
const enc = encodeURIComponent;

/** The session's CSRF token: kept in memory only, sent on every state-changing request. */
let csrf = null;
/** What the app page runs in the background: the log stream and the deploy poll. */
let page = { stop: () => {} };

// ---------- DOM ----------

/** h('button', { type: 'button', onclick: f }, 'text', child...) */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function status(text) {
  $('#status').textContent = text;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '-');

// ---------- API ----------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ? `${body.error}${body.hint ? ` (${body.hint})` : ''}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function request(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A call to /api; a 401 (session expired) brings back the login form. */
async function api(method, path, body) {
  try {
    return await request(method, `/api${path}`, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin('Your session has ended; log in again.');
    throw e;
  }
}

/** Runs an action from a button: disables it meanwhile, reports the outcome in the status line. */
async function act(button, doing, fn) {
  button.disabled = true;
  status(doing);
  try {
    const done = await fn();
    status(done ?? '');
  } catch (e) {
    status(`Failed: ${e.message}`);
  } finally {
    button.disabled = false;
  }
}

// ---------- login / logout ----------

function showLogin(message = '') {
  page.stop();
  csrf = null;
  $('#view').replaceChildren();
  $('#logout').hidden = true;
  $('#login-view').hidden = false;
  $('#login-error').textContent = message;
  $('#login-token').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#login-token');
  const button = ev.target.querySelector('button');
  button.disabled = true;
  $('#login-error').textContent = '';
  try {
    const res = await fetch('/dashboard/session', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: input.value }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status === 429) {
      $('#login-error').textContent = `Login refused: too many failed attempts. Try again in ${res.headers.get('retry-after') ?? 60} s.`;
    } else if (!res.ok) {
      $('#login-error').textContent = `Login refused: ${body.error ?? `HTTP ${res.status}`}. Check the token and try again.`;
    } else {
      csrf = body.csrf;
      input.value = '';
      loggedIn();
    }
  } catch (e) {
    $('#login-error').textContent = `Could not reach minicloud: ${e.message}`;
  } finally {
    button.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  page.stop();
  await request('DELETE', '/dashboard/session').catch(() => {});
  location.hash = '#/';
  showLogin('Logged out.');
});

function loggedIn() {
  $('#login-view').hidden = true;
  $('#logout').hidden = false;
  route();
}

// ---------- routing ----------

function route() {
  if (!csrf) return;
  page.stop();
  page = { stop: () => {} };
  status('');
  const m = /^#\/apps\/([a-z0-9-]+)$/.exec(location.hash);
  if (m) appPage(m[1]);
  else appsPage();
}

window.addEventListener('hashchange', route);

function heading(text) {
  const el = h('h1', { tabindex: '-1' }, text);
  queueMicrotask(() => el.focus());
  return el;
}

// ---------- apps list ----------

async function appsPage() {
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '5' }, 'Loading…')));
  const created = h('div', { 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert' });
  const nameInput = h('input', { id: 'new-app-name', name: 'name', required: true, pattern: '[a-z][a-z0-9]*(-[a-z0-9]+)*', maxlength: '63', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'new-app-help' });
  const form = h('form', { class: 'card' },
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'new-app-name' }, 'App name'), nameInput),
      h('button', { type: 'submit' }, 'Create app')),
    h('p', { class: 'help', id: 'new-app-help' }, 'Lowercase letters, digits and single dashes, starting with a letter.'),
    error, created);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const app = await api('POST', '/apps', { name: nameInput.value.trim() });
      nameInput.value = '';
      created.replaceChildren(...createdInfo(app));
      await fillApps(tbody);
    } catch (e) {
      error.textContent = `Could not create the app: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
  $('#view').replaceChildren(
    heading('Apps'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'State', 'Release', 'URL', 'Last deploy'].map((t) => h('th', { scope: 'col' }, t)))), tbody),
    h('h2', {}, 'Create an app'),
    form,
  );
  await fillApps(tbody).catch((e) => tbody.replaceChildren(h('tr', {}, h('td', { colspan: '5', class: 'error' }, `Could not load the apps: ${e.message}`))));
}

function createdInfo(app) {
  const commands = `git remote add minicloud ${app.gitUrl}\ngit push minicloud main`;
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy commands');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(commands);
      status('Commands copied.');
    } catch {
      getSelection()?.selectAllChildren(pre);
      status('Press Ctrl+C to copy the selected commands.');
    }
  });
  const pre = h('pre', { class: 'commands', id: 'git-commands' }, h('code', {}, commands));
  return [
    h('p', { class: 'ok' }, `Created ${app.name}. `, h('a', { href: `#/apps/${app.name}` }, `Open ${app.name}`)),
    h('p', {}, 'Git remote: ', h('code', {}, app.gitUrl)),
    h('p', {}, 'In your app\u2019s git repository, run (git asks for a password: an API token, any user name):'),
    pre, copy,
  ];
}

async function fillApps(tbody) {
  const apps = await api('GET', '/apps');
  if (apps.length === 0) {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: '5' }, 'No apps yet. Create one below.')));
    return;
  }
  const last = await Promise.all(apps.map((a) => api('GET', `/apps/${enc(a.name)}/deploys`).then((d) => d[0] ?? null, () => null)));
  tbody.replaceChildren(...apps.map((a, i) => h('tr', {},
    h('td', {}, h('a', { href: `#/apps/${a.name}` }, a.name)),
    h('td', {}, a.state),
    h('td', {}, a.currentRelease ? `v${a.currentRelease}` : '-'),
    h('td', {}, h('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer' }, a.url)),
    h('td', {}, last[i] ? h('time', { datetime: last[i].createdAt }, when(last[i].createdAt)) : '-'),
  )));
}

// ---------- one app ----------

function appPage(name) {
  let stopped = false;
  let stream = null;
  let streamed = null; // the build whose log is shown
  let lastSeen = null; // the newest deploy, as id:status, to notice changes
  const base = `/apps/${enc(name)}`;

  const facts = h('dl', { class: 'facts' });
  const buttons = {
    restart: h('button', { type: 'button' }, 'Restart'),
    stop: h('button', { type: 'button', class: 'danger' }, 'Stop'),
    start: h('button', { type: 'button' }, 'Start'),
  };
  const logState = h('p', { id: 'build-state', class: 'help', 'aria-live': 'polite' }, 'Waiting for a build…');
  const log = h('pre', { class: 'log', id: 'build-log', role: 'log', tabindex: '0', 'aria-labelledby': 'build-title' });
  const releases = h('tbody');
  const config = h('tbody');
  const procs = h('tbody');
  const cfgKey = h('input', { id: 'config-key', name: 'key', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z_][A-Za-z0-9_]*' });
  const cfgValue = h('input', { id: 'config-value', name: 'value', autocomplete: 'off', spellcheck: 'false' });
  const cfgForm = h('form', { class: 'card' }, h('div', { class: 'row' },
    h('div', {}, h('label', { for: 'config-key' }, 'Name'), cfgKey),
    h('div', {}, h('label', { for: 'config-value' }, 'Value'), cfgValue),
    h('button', { type: 'submit' }, 'Set config var')),
  h('p', { class: 'help' }, 'Setting a var restarts the app as a new release.'));

  $('#view').replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '\u2190 All apps')),
    heading(name),
    facts,
    h('h2', { id: 'build-title' }, 'Latest build'), logState, log,
    h('h2', {}, 'Processes'), h('div', { class: 'actions' }, buttons.restart, buttons.stop, buttons.start),
    table(['Type', 'State', 'Release', 'Port', 'Restarts', 'Started'], procs),
    h('h2', {}, 'Releases'), table(['Version', 'Description', 'Commit', 'Created', ''], releases),
    h('h2', {}, 'Config vars'), table(['Name', 'Value', ''], config), cfgForm,
  );

  const refreshInfo = async () => {
    const a = await api('GET', base);
    const link = a.url ? h('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer', id: 'app-url' }, a.url) : '-';
    facts.replaceChildren(
      h('dt', {}, 'State'), h('dd', { id: 'app-state' }, a.state),
      h('dt', {}, 'Current release'), h('dd', { id: 'app-release' }, a.currentRelease ? `v${a.currentRelease}` : '-'),
      h('dt', {}, 'URL'), h('dd', {}, link),
      h('dt', {}, 'Git remote'), h('dd', {}, h('code', {}, a.gitUrl)),
    );
    buttons.restart.disabled = !a.currentRelease || a.state === 'stopped';
    buttons.stop.disabled = !a.currentRelease || a.state === 'stopped';
    buttons.start.disabled = !a.currentRelease || a.state !== 'stopped';
    procs.replaceChildren(...(a.instances.length ? a.instances.map((p) => h('tr', {},
      h('td', {}, p.type), h('td', {}, p.state), h('td', {}, `v${p.release}`), h('td', {}, p.port), h('td', {}, p.restarts), h('td', {}, when(p.startedAt)),
    )) : [h('tr', {}, h('td', { colspan: '6' }, 'Nothing running.'))]));
  };

  const refreshReleases = async () => {
    const list = await api('GET', `${base}/releases`);
    releases.replaceChildren(...(list.length ? list.map((r) => {
      let action = r.current ? h('span', { class: 'badge' }, 'current') : '';
      if (!r.current && r.status === 'succeeded') {
        action = h('button', { type: 'button', class: 'secondary' }, `Roll back to v${r.version}`);
        action.addEventListener('click', (ev) => act(ev.currentTarget, `Rolling back to v${r.version}…`, async () => {
          const { deploy } = await api('POST', `${base}/rollback`, { version: r.version });
          await refreshAll();
          return deploy.status === 'succeeded' ? `Rolled back to v${r.version} (now v${deploy.release}).` : `Rollback failed: ${deploy.error ?? deploy.status}`;
        }));
      }
      return h('tr', {},
        h('td', {}, `v${r.version}`, r.status !== 'succeeded' ? ` (${r.status})` : ''),
        h('td', {}, r.description),
        h('td', {}, r.commit ? h('code', {}, r.commit.slice(0, 7)) : '-', r.commitMessage ? ` ${r.commitMessage}` : ''),
        h('td', {}, when(r.createdAt)),
        h('td', {}, action));
    }) : [h('tr', {}, h('td', { colspan: '5' }, 'No releases yet.'))]));
  };

  // Only the names stay in the page; a value is shown once its row is revealed (and kept so on refresh).
  const revealed = new Set();
  const refreshConfig = async () => {
    const all = await api('GET', `${base}/config`);
    const keys = Object.keys(all).sort();
    for (const k of revealed) if (!(k in all)) revealed.delete(k);
    config.replaceChildren(...(keys.length ? keys.map((k) => {
      const value = h('td', { class: 'config-value' });
      const reveal = h('button', { type: 'button', class: 'secondary' });
      const show = (v) => {
        const on = v !== null;
        value.replaceChildren(on ? h('code', {}, v) : '••••');
        reveal.textContent = on ? 'Hide' : 'Reveal';
        reveal.setAttribute('aria-label', `${on ? 'Hide' : 'Reveal'} ${k}`);
        reveal.setAttribute('aria-pressed', String(on));
      };
      show(revealed.has(k) ? all[k] : null);
      reveal.addEventListener('click', async () => {
        if (revealed.has(k)) {
          revealed.delete(k);
          return show(null);
        }
        try {
          const fresh = await api('GET', `${base}/config`);
          revealed.add(k);
          show(fresh[k] ?? '(unset)');
        } catch (e) {
          status(`Could not read ${k}: ${e.message}`);
        }
      });
      return h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), value, h('td', {}, reveal));
    }) : [h('tr', {}, h('td', { colspan: '3' }, 'No config vars.'))]));
  };

  // Every deploy can change all of these (a rollback restores its release's config vars).
  const refreshAll = () => Promise.all([refreshInfo(), refreshReleases(), refreshConfig()]).catch((e) => status(`Could not load ${name}: ${e.message}`));

  cfgForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = cfgKey.value.trim();
    act(cfgForm.querySelector('button'), `Setting ${key}…`, async () => {
      const { deploy } = await api('PATCH', `${base}/config`, { [key]: cfgValue.value });
      cfgKey.value = '';
      cfgValue.value = '';
      await refreshAll();
      if (!deploy) return `Set ${key}.`;
      return deploy.status === 'succeeded' ? `Set ${key}; v${deploy.release} is live.` : `Set ${key}, but the restart failed: ${deploy.error ?? deploy.status}`;
    });
  });
  const outcome = (what, deploy) => (!deploy || deploy.status === 'succeeded' ? `${what}.` : `${what} failed: ${deploy.error ?? deploy.status}`);
  buttons.restart.addEventListener('click', () => act(buttons.restart, 'Restarting…', async () => {
    const { deploy } = await api('POST', `${base}/restart`);
    await refreshAll();
    return outcome('Restarted', deploy);
  }));
  buttons.stop.addEventListener('click', () => act(buttons.stop, 'Stopping…', async () => {
    await api('POST', `${base}/stop`);
    await refreshAll();
    return 'Stopped.';
  }));
  buttons.start.addEventListener('click', () => act(buttons.start, 'Starting…', async () => {
    const { deploy } = await api('POST', `${base}/start`);
    await refreshAll();
    return outcome('Started', deploy);
  }));

  // The latest build's log, streamed as NDJSON while it runs (the API replays it from the start).
  const follow = async (deployId) => {
    stream?.abort();
    const ctl = new AbortController();
    stream = ctl;
    streamed = deployId;
    log.replaceChildren();
    logState.textContent = 'Building…';
    let ended = false;
    try {
      const res = await fetch(`/api${base}/logs?build=1&follow=1`, { credentials: 'same-origin', signal: ctl.signal });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const e = JSON.parse(line);
          if (e.type === 'line') {
            const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
            log.append(e.text + '\n');
            if (atBottom) log.scrollTop = log.scrollHeight;
          } else if (e.type === 'end') {
            ended = true;
            logState.textContent = e.status === 'succeeded'
              ? `Build succeeded${e.release ? `: v${e.release} is live` : ''}.`
              : `Build failed${e.error ? `: ${e.error}` : ''}.`;
            void refreshAll();
          }
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      logState.textContent = `Log stream interrupted (${e.message}); reconnecting…`;
    }
    // A stream that stopped before the build ended is picked up again by the next poll.
    if (!ended && stream === ctl) streamed = null;
  };

  // Polls the deploy list only to notice a new build (then streams it) or any other change.
  const poll = async () => {
    try {
      const deploys = await api('GET', `${base}/deploys`);
      const build = deploys.find((d) => d.kind === 'build');
      if (build && build.id !== streamed) void follow(build.id);
      if (!build) logState.textContent = 'No builds yet: push with git to deploy.';
      const seen = deploys[0] ? `${deploys[0].id}:${deploys[0].status}` : '';
      if (seen !== lastSeen) {
        lastSeen = seen;
        await refreshAll();
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        status(`${name}: ${e.message}`);
        return;
      }
    }
    if (!stopped) timer = setTimeout(poll, 2000);
  };
  let timer = null;

  page = { stop: () => { stopped = true; clearTimeout(timer); stream?.abort(); } };
  void poll();
}

function table(headers, tbody) {
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))), tbody);
}

// ---------- start ----------

(async () => {
  try {
    csrf = (await request('GET', '/dashboard/session')).csrf;
    loggedIn();
  } catch {
    showLogin();
  }
})();
