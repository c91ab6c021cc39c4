// The Alerts panel: where alerts go (webhooks, e-mail) with add, test and remove, and the history of what was sent
// and how each delivery went. On the apps page it shows the server's channels (admins only); on an app's page, the app's.
import { act, api, emptyRow, enc, field, h, table, when } from './lib.js';

/** `server`: the server-wide channels (on the apps page); else the app's at `base` (`/apps/<name>`). */
export function alertsPanel({ base, server = false, prefix = server ? 'server-alerts' : 'alerts' }) {
  const root = server ? '/alerts' : `${base}/alerts`;
  const listPath = server ? '/alerts?app=server' : root;
  const historyPath = server ? '/alerts/history?app=server&n=20' : `${root}/history?n=20`;
  const channels = h('tbody', {}, emptyRow(6, 'Loading…'));
  const history = h('tbody', {}, emptyRow(5, 'Loading…'));
  const kind = field(`${prefix}-kind`, 'Kind', { tag: 'select', autocomplete: undefined, spellcheck: undefined });
  kind.input.append(h('option', { value: 'webhook' }, 'Webhook'), h('option', { value: 'email' }, 'E-mail'));
  const target = field(`${prefix}-target`, 'Webhook URL or e-mail address', { required: true, maxlength: '2048', placeholder: 'https://hooks.slack.com/services/…' });
  const format = field(`${prefix}-format`, 'Format', { tag: 'select', autocomplete: undefined, spellcheck: undefined });
  format.input.append(...[['', 'From the URL'], ['json', 'JSON'], ['slack', 'Slack'], ['discord', 'Discord']].map(([v, t]) => h('option', { value: v }, t)));
  kind.input.addEventListener('change', () => { format.input.disabled = kind.input.value === 'email'; });
  const add = h('button', { type: 'submit' }, 'Add channel');
  const form = h('form', { class: 'card', 'aria-label': server ? 'Add a server-wide alert channel' : 'Add an alert channel' },
    h('div', { class: 'row' }, kind.el, target.el, format.el, add),
    h('p', { class: 'help' }, server
      ? 'Server-wide channels get every alert: failed deploys, crash loops, certificates, backups, disk and memory, add-on servers.'
      : 'This app\u2019s channels get its alerts: failed deploys, crash loops, failing health checks, certificates, backups.'));
  const testAll = h('button', { type: 'button', class: 'secondary' }, 'Send a test to each');
  const section = h('section', { 'aria-labelledby': `${prefix}-title`, hidden: server },
    h('h2', { id: `${prefix}-title` }, server ? 'Server alerts' : 'Alerts'),
    table(['ID', 'Kind', 'Format', 'Target', 'Added', ''], channels, { id: `${prefix}-channels` }),
    h('div', { class: 'actions' }, testAll), form,
    h('h3', {}, 'Recent alerts'),
    table(['When', 'State', 'Alert', 'Channel', 'Delivery'], history, { id: `${prefix}-history` }));

  const said = (results) => results.map((r) => `${r.channel}: ${r.ok ? 'sent' : `failed (${r.error})`}`).join('; ');
  const row = (c) => {
    const test = h('button', { type: 'button', class: 'secondary', 'aria-label': `Test channel ${c.id}` }, 'Test');
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove channel ${c.id}` }, 'Remove');
    test.addEventListener('click', () => act(test, `Sending a test to ${c.id}…`, async () => {
      const r = await api('POST', `${root}/${enc(c.id)}/test`);
      await refresh();
      return `Test: ${said(r)}.`;
    }));
    remove.addEventListener('click', () => act(remove, `Removing ${c.id}…`, async () => {
      await api('DELETE', `${root}/${enc(c.id)}`);
      await refresh();
      return `Removed channel ${c.id}.`;
    }));
    return h('tr', {}, h('td', {}, h('code', {}, c.id)), h('td', {}, c.kind), h('td', {}, c.format), h('td', {}, c.target),
      h('td', {}, when(c.createdAt)), h('td', {}, h('div', { class: 'actions' }, test, remove)));
  };
  const refresh = async () => {
    // The server's channels are an admin's: for anyone else the panel stays hidden.
    if (server && (await api('GET', '/me')).role !== 'admin') return;
    const [list, past] = await Promise.all([api('GET', listPath), api('GET', historyPath)]);
    section.hidden = false;
    channels.replaceChildren(...(list.length ? list.map(row) : [emptyRow(6, 'No channels yet: alerts are only recorded below.')]));
    testAll.disabled = list.length === 0;
    history.replaceChildren(...(past.length ? past.map((e) => h('tr', {},
      h('td', {}, when(e.at)), h('td', {}, e.state), h('td', {}, e.title), h('td', {}, e.channel ?? '-'),
      h('td', { class: e.delivery === 'sent' ? '' : 'error' }, e.error ? `${e.delivery}: ${e.error}` : e.delivery),
    )) : [emptyRow(5, 'No alerts yet.')]));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(add, 'Adding the channel…', async () => {
      const body = { kind: kind.input.value, target: target.input.value.trim(), ...(kind.input.value === 'webhook' && format.input.value ? { format: format.input.value } : {}) };
      const c = await api('POST', root, body);
      target.input.value = '';
      await refresh();
      return `Added channel ${c.id}: ${c.kind} ${c.target}.`;
    });
  });
  testAll.addEventListener('click', () => act(testAll, 'Sending a test to each channel…', async () => {
    const r = await api('POST', `${root}/test`);
    await refresh();
    return `Test: ${said(r)}.`;
  }));
  return { section: [section], refresh };
}
