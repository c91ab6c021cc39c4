// The audit log panel (the latest changes: who, what, app, from where, as `minicloud audit`) and, for admins, who is
// logged in to the dashboard, each session with a button that ends it.
import { act, api, emptyRow, enc, h, table, when } from './lib.js';

const detailText = (d) => Object.entries(d ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');

/** A heading and table of the last `n` audit entries (of one app when given), newest first. */
export function activityPanel(app, n = 20) {
  const tbody = h('tbody', {}, emptyRow(6, 'Loading…'));
  const query = `?n=${n}${app ? `&app=${enc(app)}` : ''}`;
  api('GET', `/audit${query}`).then((entries) => {
    if (entries.length === 0) return tbody.replaceChildren(emptyRow(6, 'Nothing recorded yet.'));
    tbody.replaceChildren(...entries.reverse().map((e) => h('tr', {},
      h('td', {}, h('time', { datetime: e.at }, when(e.at))),
      h('td', {}, e.actor),
      h('td', {}, e.action),
      h('td', {}, e.app ?? ''),
      h('td', {}, e.address),
      h('td', {}, [detailText(e.detail), e.status >= 400 ? `failed (${e.status})` : ''].filter(Boolean).join(' ')),
    )));
  }, (e) => tbody.replaceChildren(emptyRow(6, `Could not load the activity: ${e.message}`, 'error')));
  return [h('h2', {}, 'Recent activity'), table(['When', 'Who', 'What', 'App', 'From', 'Detail'], tbody, { id: 'activity' })];
}

/** Who is logged in (admins only: for anyone else the panel stays empty and hidden). */
export function sessionsPanel() {
  const tbody = h('tbody', {}, emptyRow(5, 'Loading…'));
  const section = h('section', { hidden: true, 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title' }, 'Logged in'), table(['Who', 'From', 'Since', 'Expires', ''], tbody, { id: 'sessions' }));
  const fill = () => api('GET', '/sessions').then((list) => {
    section.hidden = false;
    tbody.replaceChildren(...list.map((s) => {
      const end = h('button', { type: 'button', class: 'secondary' }, 'End');
      end.addEventListener('click', () => act(end, `Ending the session of ${s.who}…`, async () => {
        await api('DELETE', `/sessions/${enc(s.key)}`);
        await fill();
        return `Ended the session of ${s.who}.`;
      }));
      return h('tr', {}, h('td', {}, s.who), h('td', {}, s.address), h('td', {}, when(s.since)), h('td', {}, when(s.expires)), h('td', {}, end));
    }));
  }, () => {});
  fill();
  return section;
}
