// The apps list: every app with its state, release, URL and last deploy, and the form that creates one.
import { $, api, emptyRow, enc, h, status, table, when } from './lib.js';
import { sparkline } from './charts.js';

/** A page heading that takes the focus, so keyboard and screen reader users land on the new view. */
export function heading(text) {
  const el = h('h1', { tabindex: '-1' }, text);
  queueMicrotask(() => el.focus());
  return el;
}

export async function appsPage() {
  const tbody = h('tbody', {}, emptyRow(6, 'Loading…'));
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
    table(['Name', 'State', 'Release', 'URL', 'Last deploy', 'Requests, 24 h'], tbody, { id: 'apps' }),
    h('h2', {}, 'Create an app'),
    form,
    h('p', { class: 'help' }, 'The catalog, server-wide alerts, who is logged in, the router and the disk are in the menu at the top.'),
  );
  await fillApps(tbody).catch((e) => tbody.replaceChildren(emptyRow(6, `Could not load the apps: ${e.message}`, 'error')));
}

function createdInfo(app) {
  const commands = `git remote add minicloud ${app.gitUrl}\ngit push minicloud main`;
  const pre = h('pre', { class: 'commands', id: 'git-commands' }, h('code', {}, commands));
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
  return [
    h('p', { class: 'ok' }, `Created ${app.name}. `, h('a', { href: `#/apps/${app.name}` }, `Open ${app.name}`)),
    h('p', {}, 'Git remote: ', h('code', {}, app.gitUrl)),
    h('p', {}, 'In your app\u2019s git repository, run (git asks for a password: an API token, any user name):'),
    pre, copy,
    h('p', { class: 'help' }, 'Or deploy a published image by reference on the app\u2019s page (Docker runtime).'),
  ];
}

async function fillApps(tbody) {
  const apps = await api('GET', '/apps');
  if (apps.length === 0) {
    tbody.replaceChildren(emptyRow(6, 'No apps yet. Create one below.'));
    return;
  }
  const last = await Promise.all(apps.map((a) => api('GET', `/apps/${enc(a.name)}/deploys`).then((d) => d[0] ?? null, () => null)));
  const instances = await Promise.all(apps.map((a) => api('GET', `/apps/${enc(a.name)}/ps`).catch(() => [])));
  const traffic = await Promise.all(apps.map((a) => api('GET', `/apps/${enc(a.name)}/metrics?range=24h&step=60`).then((m) => m.minutes, () => null)));
  tbody.replaceChildren(...apps.map((a, i) => h('tr', {},
    h('td', {}, h('a', { href: `#/apps/${a.name}` }, a.name)),
    h('td', {}, stateOf(a, last[i], instances[i])),
    h('td', {}, a.currentRelease ? `v${a.currentRelease}` : '-'),
    h('td', {}, h('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer' }, a.url)),
    h('td', {}, last[i] ? h('time', { datetime: last[i].createdAt }, when(last[i].createdAt)) : '-'),
    h('td', {}, traffic[i] ? sparkline(traffic[i]) : '-'),
  )));
}

/** What an app is doing: deploying (its newest deploy runs), crashed (nothing of it is up), else its own state. */
export function stateOf(app, lastDeploy, instances = []) {
  if (lastDeploy && !['succeeded', 'failed'].includes(lastDeploy.status)) return 'deploying';
  if (app.state === 'running' && app.currentRelease && instances.length && instances.every((i) => i.state === 'crashed')) return 'crashed';
  return app.state;
}
