// Dashboard basics shared by every view: DOM building, the status line, API calls with CSRF, NDJSON streams.
// Data enters the page as text nodes only (never as HTML).

export const $ = (sel) => document.querySelector(sel);
export const enc = encodeURIComponent;

/** The session's CSRF token: kept in memory only, sent on every state-changing request. */
let csrf = null;
export const session = {
  get csrf() { return csrf; },
  set csrf(v) { csrf = v; },
};

/** What the current view runs in the background (streams, polls); stopped when the view changes. */
export const view = { stop: () => {} };

/** h('button', { type: 'button', onclick: f }, 'text', child...) */
export function h(tag, attrs = {}, ...children) {
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

/** SVG elements need their namespace; attributes as for h(). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function status(text) {
  $('#status').textContent = text;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '-');

export function table(headers, tbody, attrs = {}) {
  // Each cell carries its column's name: a phone shows rows stacked, each value under its name (style.css).
  const label = () => {
    for (const tr of tbody.rows) if (tr.cells.length === headers.length) [...tr.cells].forEach((c, i) => { if (headers[i]) c.dataset.label = headers[i]; });
  };
  new MutationObserver(label).observe(tbody, { childList: true });
  label();
  return h('table', attrs, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))), tbody);
}

/** A table body's single row saying there is nothing (or what went wrong). */
export const emptyRow = (cols, text, cls) => h('tr', {}, h('td', { colspan: String(cols), class: cls }, text));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ? `${body.error}${body.hint ? ` (${body.hint})` : ''}` : `HTTP ${status}`);
    this.status = status;
  }
}

export async function request(method, path, body) {
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

/** Called on a 401 from /api (the session ended); app.js sets it to bring back the login form. */
export const hooks = { onLoggedOut: () => {} };

/** A call to /api, the same REST API the CLI uses. */
export async function api(method, path, body) {
  try {
    return await request(method, `/api${path}`, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) hooks.onLoggedOut('Your session has ended; log in again.');
    throw e;
  }
}

/** Runs an action from a button: disables it meanwhile, reports the outcome in the status line. */
export async function act(button, doing, fn) {
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

/** The outcome of an action that restarted the app as a deploy. */
export const outcome = (what, deploy) => (!deploy || deploy.status === 'succeeded' ? `${what}.` : `${what} failed: ${deploy.error ?? deploy.status}`);

/**
 * Reads an NDJSON response from /api as it arrives, calling onEvent for each object; resolves at its end.
 * `body` makes it a POST (with the CSRF token) whose answer streams, like an image deploy's log.
 */
export async function streamNdjson(path, signal, onEvent, body) {
  const post = body !== undefined;
  const headers = post ? { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) } : {};
  const res = await fetch(`/api${path}`, { method: post ? 'POST' : 'GET', headers, credentials: 'same-origin', signal, body: post ? JSON.stringify(body) : undefined });
  if (res.status === 401) hooks.onLoggedOut('Your session has ended; log in again.');
  // A refusal before the stream starts (a bad reference, no such app) is JSON with the reason.
  if (!res.ok || !res.body) throw new ApiError(res.status, await res.json().catch(() => null));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onEvent(JSON.parse(line));
    }
  }
}

/** Appends text to a log box, keeping it scrolled to the end if it was there (so reading back is not disturbed). */
export function appendLog(box, text, cls) {
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  box.append(cls ? h('span', { class: cls }, text) : text, '\n');
  if (atBottom) box.scrollTop = box.scrollHeight;
}

/** A labelled input: [label, input] for a form row. */
export function field(id, label, attrs = {}) {
  const input = h(attrs.tag ?? 'input', { id, name: id, autocomplete: 'off', spellcheck: 'false', ...attrs, tag: undefined });
  return { input, el: h('div', {}, h('label', { for: id }, label), input) };
}
