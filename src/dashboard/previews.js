// App page panel: preview apps per branch (previews:enable): on or off for a branch pattern, and the previews there are.
import { act, api, emptyRow, enc, field, h, table, when } from './lib.js';

export function previewsPanel({ base }) {
  const state = h('p', { id: 'previews-state', class: 'help' });
  const tbody = h('tbody');
  const pattern = field('previews-branches', 'Branches', { placeholder: 'feature/*', 'aria-describedby': 'previews-help' });
  const expire = field('previews-expire', 'Destroy after idle (days)', { type: 'number', min: '1', max: '365', step: '1' });
  const on = h('button', { type: 'submit' }, 'Enable previews');
  const off = h('button', { type: 'button', class: 'danger' }, 'Disable previews');
  const form = h('form', { class: 'card', 'aria-labelledby': 'previews-title' },
    h('div', { class: 'row' }, pattern.el, expire.el, on, off),
    h('p', { class: 'help', id: 'previews-help' },
      'A git push of a matching branch makes the app <app>-<branch> with this app\'s config and add-ons of its own; deleting the branch destroys it.'));

  const refresh = async () => {
    const p = await api('GET', `${base}/previews`);
    state.textContent = p.enabled
      ? `On for branches ${p.branches}${p.expireSeconds ? `, destroyed after ${Math.round(p.expireSeconds / 86400)} days without a push` : ''}.`
      : 'Off.';
    if (p.enabled && document.activeElement !== pattern.input) pattern.input.value = p.branches;
    off.disabled = !p.enabled;
    tbody.replaceChildren(...(p.previews.length ? p.previews.map((v) => h('tr', {},
      h('td', {}, h('a', { href: `#/apps/${enc(v.app)}` }, v.app)),
      h('td', {}, h('code', {}, v.branch)),
      h('td', {}, h('a', { href: v.url, target: '_blank', rel: 'noopener noreferrer' }, v.url)),
      h('td', {}, when(v.pushedAt)))) : [emptyRow(4, 'No previews.')]));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(on, 'Enabling previews…', async () => {
      const days = expire.input.value ? Number(expire.input.value) : null;
      await api('PUT', `${base}/previews`, { branches: pattern.input.value.trim() || '*', expireSeconds: days ? days * 86400 : null });
      await refresh();
      return 'Previews enabled.';
    });
  });
  off.addEventListener('click', () => act(off, 'Disabling previews…', async () => {
    await api('DELETE', `${base}/previews`);
    await refresh();
    return 'Previews disabled; those there are stay until their branch is deleted.';
  }));
  return { section: [h('h2', { id: 'previews-title' }, 'Previews'), state, table(['App', 'Branch', 'URL', 'Last push'], tbody, { id: 'previews' }), form], refresh };
}
