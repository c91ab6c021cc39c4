// App page, Deploys & releases tab: the recent deploys (pushes, config changes, restarts, rollbacks, image deploys),
// each with how it went and a link to its whole log (#/apps/<app>/deploys/<id>).
import { api, emptyRow, h, table, when } from './lib.js';

export function deploysPanel({ name, base }) {
  const tbody = h('tbody', {}, emptyRow(5, 'Loading…'));
  const refresh = async () => {
    const list = (await api('GET', `${base}/deploys`)).slice(0, 15);
    tbody.replaceChildren(...(list.length ? list.map((d) => h('tr', {},
      h('td', {}, h('time', { datetime: d.createdAt }, when(d.createdAt))),
      h('td', {}, d.kind),
      h('td', { class: d.status === 'failed' ? 'error' : null }, d.status === 'failed' && d.error ? `failed: ${d.error}` : d.status),
      h('td', {}, d.release ? `v${d.release}` : '-'),
      h('td', {}, h('a', { href: `#/apps/${name}/deploys/${d.id}`, 'aria-label': `Log of the ${d.kind} deploy of ${when(d.createdAt)}` }, 'Log')),
    )) : [emptyRow(5, 'No deploys yet: push with git to deploy.')]));
  };
  return { section: [h('h2', {}, 'Recent deploys'), table(['When', 'Kind', 'Outcome', 'Release', ''], tbody, { id: 'deploys' })], refresh };
}
