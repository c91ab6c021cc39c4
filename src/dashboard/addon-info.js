// App page, Add-ons tab: one add-on's details as `addons:info` shows them (server, database, user, what it holds, the
// config vars it sets), its URL with the password masked until "Reveal" (which reads the config var) and "Hide".
import { act, api, enc, h } from './lib.js';

const SPACE = { postgres: 'Database', mariadb: 'Database', rabbitmq: 'Vhost', redis: 'Key prefix' };

/** Fills `box` with the details of `kind`'s add-on; answers the status line's text. */
export async function showAddonInfo(box, base, kind) {
  const a = await api('GET', `${base}/addons/${enc(kind)}`);
  const urlCell = h('dd', { id: 'addon-url' }, h('code', {}, a.url || '-'));
  const reveal = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Reveal password');
  let shown = false;
  reveal.addEventListener('click', () => act(reveal, shown ? 'Hiding…' : 'Reading the config var…', async () => {
    if (shown) {
      urlCell.replaceChildren(h('code', {}, a.url)); // the password leaves the page
    } else {
      const config = await api('GET', `${base}/config`);
      const value = config[a.envKeys[0]];
      if (!value) throw new Error(`${a.envKeys[0]} is not set on the app any more`);
      urlCell.replaceChildren(h('code', {}, value));
    }
    shown = !shown;
    reveal.textContent = shown ? 'Hide password' : 'Reveal password';
    reveal.setAttribute('aria-pressed', String(shown));
    return shown ? `Showing ${a.envKeys[0]}.` : 'Password hidden.';
  }));
  box.dataset.kind = a.kind;
  const close = h('button', { type: 'button', class: 'secondary' }, 'Close');
  close.addEventListener('click', () => box.replaceChildren());
  box.replaceChildren(h('div', { class: 'card', role: 'group', 'aria-label': `${a.kind} add-on details` },
    h('h3', {}, `${a.kind} add-on`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Server'), h('dd', {}, h('code', {}, a.server || '-')),
      h('dt', {}, SPACE[a.kind] ?? 'Name'), h('dd', {}, h('code', {}, a.database ?? a.name)),
      h('dt', {}, 'User'), h('dd', {}, h('code', {}, a.user ?? a.name)),
      h('dt', {}, 'Holds'), h('dd', { id: 'addon-usage', class: a.usage ? null : 'error' }, a.usage ?? `unknown: ${a.usageError ?? 'no answer'}`),
      h('dt', {}, 'Config vars'), h('dd', {}, a.envKeys.join(', ')),
      h('dt', {}, 'URL'), urlCell),
    h('div', { class: 'actions' }, ...(a.url ? [reveal] : []), close)));
  return `${a.kind}: ${a.usage ?? 'size unknown'} on ${a.server}.`;
}
