// The People page's panels: people who log in (list, add, change role or apps, remove; admins only, as users:*) and
// API tokens (list, create with the secret shown once, revoke; as tokens:*). A one-time secret leaves the page when dismissed.
import { act, api, emptyRow, enc, field, h, table, when } from './lib.js';

/** "shop, blog" → ['shop', 'blog']. */
const appList = (text) => text.split(/[\s,]+/).map((a) => a.trim()).filter(Boolean);

/** A box showing a secret once, with a button that takes it out of the page. */
function shownOnce(id, what, secret, note) {
  const box = h('div', { class: 'card secret', id, role: 'group', 'aria-label': what },
    h('p', { class: 'ok' }, `${what}, shown once: copy it now. Only its hash is kept.`),
    h('pre', { class: 'commands' }, h('code', {}, secret)),
    note ? h('p', { class: 'help' }, note) : null);
  const done = h('button', { type: 'button', class: 'secondary' }, 'I have copied it');
  done.addEventListener('click', () => box.remove());
  box.append(done);
  return box;
}

/** A form whose submit runs `onSubmit` as an action of its button. */
function form(label, rows, submitText, onSubmit) {
  const submit = h('button', { type: 'submit' }, submitText);
  const el = h('form', { class: 'card', 'aria-label': label }, h('div', { class: 'row' }, ...rows, submit));
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(submit, `${submitText}…`, onSubmit);
  });
  return el;
}

function roleSelect(id, label, options) {
  const f = field(id, label, { tag: 'select', autocomplete: undefined, spellcheck: undefined });
  f.input.append(...options.map(([v, t]) => h('option', { value: v }, t)));
  return f;
}

/** People (admins): who can log in, with their role and apps. */
export function usersPanel() {
  const tbody = h('tbody', {}, emptyRow(5, 'Loading…'));
  const once = h('div');
  const refresh = () => api('GET', '/users').then((list) => tbody.replaceChildren(...(list.length ? list.map(userRow) : [emptyRow(5, 'No people yet: add one below.')])));

  const userRow = (u) => {
    const role = roleSelect(`role-${u.email}`, 'Role', [['member', 'member'], ['admin', 'admin']]);
    role.input.value = u.role;
    const apps = field(`apps-${u.email}`, 'Apps', { value: u.apps?.join(', ') ?? '', placeholder: 'shop, blog' });
    const save = h('button', { type: 'submit', class: 'secondary', 'aria-label': `Save role of ${u.email}` }, 'Save');
    const change = h('form', { class: 'row', 'aria-label': `Role of ${u.email}` }, role.el, apps.el, save);
    const sync = () => { apps.input.disabled = role.input.value === 'admin'; };
    role.input.addEventListener('change', sync);
    sync();
    change.addEventListener('submit', (ev) => {
      ev.preventDefault();
      act(save, `Changing ${u.email}…`, async () => {
        const r = await api('PATCH', `/users/${enc(u.email)}`, { role: role.input.value, apps: role.input.value === 'admin' ? [] : appList(apps.input.value) });
        await refresh();
        return `${r.email} is now ${r.role === 'admin' ? 'an admin' : `a member of ${r.apps.join(', ')}`}.`;
      });
    });
    const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${u.email}` }, 'Remove');
    remove.addEventListener('click', () => {
      if (!confirm(`Remove ${u.email}? Their tokens and dashboard sessions end at once.`)) return;
      void act(remove, `Removing ${u.email}…`, async () => {
        await api('DELETE', `/users/${enc(u.email)}`);
        await refresh();
        return `Removed ${u.email}.`;
      });
    });
    return h('tr', {}, h('td', {}, u.email), h('td', {}, u.role), h('td', {}, u.apps?.join(', ') ?? 'all'), h('td', {}, change), h('td', {}, remove));
  };

  const email = field('user-email', 'Email', { type: 'email', required: true });
  const role = roleSelect('user-role', 'Role', [['member', 'member (named apps)'], ['admin', 'admin (everything)']]);
  const apps = field('user-apps', 'Apps (members; comma-separated)', { placeholder: 'shop, blog' });
  const password = field('user-password', 'Password (12+ characters; empty: one is made)', { type: 'password', autocomplete: 'new-password', minlength: '12' });
  role.input.addEventListener('change', () => { apps.input.disabled = role.input.value === 'admin'; });
  const add = form('Add a person', [email.el, role.el, apps.el, password.el], 'Add person', async () => {
    const body = { email: email.input.value.trim(), role: role.input.value, apps: role.input.value === 'admin' ? [] : appList(apps.input.value) };
    if (password.input.value) body.password = password.input.value;
    const u = await api('POST', '/users', body);
    password.input.value = '';
    email.input.value = '';
    once.replaceChildren(u.password ? shownOnce('user-password-once', `The password of ${u.email}`, u.password, 'Hand it over: they log in here with their email and it.') : '');
    await refresh();
    return `Added ${u.email} (${u.role}${u.apps ? ` of ${u.apps.join(', ')}` : ''}).`;
  });
  refresh().catch((e) => tbody.replaceChildren(emptyRow(5, `Could not load the people: ${e.message}`, 'error')));
  return [h('h2', {}, 'People'), h('p', { class: 'help' }, 'A member sees and acts on their apps only; an admin on everything. Changes apply at their next request.'),
    table(['Email', 'Role', 'Apps', 'Change', ''], tbody, { id: 'users' }), add, once];
}

/** API tokens: an admin sees and makes every kind; a person their own (acting as them). */
export function tokensPanel(me) {
  const admin = me.role === 'admin';
  const tbody = h('tbody', {}, emptyRow(7, 'Loading…'));
  const once = h('div');
  const refresh = () => api('GET', '/tokens').then((list) => tbody.replaceChildren(...(list.length ? list.map((t) => {
    const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}` }, 'Revoke');
    revoke.addEventListener('click', () => {
      if (!confirm(`Revoke the token ${t.name}? It stops working at once, for the API, git and the dashboard.`)) return;
      void act(revoke, `Revoking ${t.name}…`, async () => {
        await api('DELETE', `/tokens/${enc(t.name)}`);
        await refresh();
        return `Revoked token ${t.name}.`;
      });
    });
    return h('tr', {}, h('td', {}, t.name), h('td', {}, t.user ? `acts as ${t.user}` : t.role), h('td', {}, t.apps?.join(', ') ?? 'all'),
      h('td', {}, when(t.createdAt)), h('td', {}, t.lastUsedAt ? when(t.lastUsedAt) : 'never'), h('td', {}, t.name === 'admin' ? '' : revoke));
  }) : [emptyRow(6, 'No tokens yet.')])));

  const name = field('token-name', 'Name', { required: true, placeholder: 'ci-deploy', pattern: '[A-Za-z0-9][A-Za-z0-9._@\\-]{0,62}' });
  const roles = [...(me.user ? [['', 'my own (acts as me)']] : []), ...(admin ? [['deploy', 'deploy (push named apps)'], ['read', 'read'], ['metrics', 'metrics'], ['admin', 'admin (everything)']] : [])];
  const role = roleSelect('token-role', 'Role', roles);
  const apps = field('token-apps', 'Apps (deploy/read; comma-separated)', { placeholder: 'shop' });
  const sync = () => { apps.input.disabled = !['deploy', 'read'].includes(role.input.value); };
  role.input.addEventListener('change', sync);
  sync();
  const create = form('Create a token', admin ? [name.el, role.el, apps.el] : [name.el], 'Create token', async () => {
    const body = { name: name.input.value.trim(), ...(role.input.value ? { role: role.input.value, apps: apps.input.disabled ? [] : appList(apps.input.value) } : {}) };
    const t = await api('POST', '/tokens', body);
    name.input.value = '';
    once.replaceChildren(shownOnce('token-once', `The token ${t.name}`, t.token, `Log in with it: \`minicloud login\`, then paste it at the prompt (or set MINICLOUD_TOKEN).`));
    await refresh();
    return `Created token ${t.name}: copy it now, it is not shown again.`;
  });
  refresh().catch((e) => tbody.replaceChildren(emptyRow(6, `Could not load the tokens: ${e.message}`, 'error')));
  return [h('h2', {}, admin ? 'API tokens' : 'My API tokens'), h('p', { class: 'help' }, 'For the CLI, git and scripts. A revoked token stops working at once.'),
    table(['Name', 'Role', 'Apps', 'Created', 'Last used', ''], tbody, { id: 'tokens' }), ...(roles.length ? [create, once] : [])];
}
