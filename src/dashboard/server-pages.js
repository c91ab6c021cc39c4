// The top menu's server-wide pages: Alerts (the server's channels), People (people, tokens, who is logged in, recent activity),
// Router (the router daemon with its restart, and what the server runs on) and Disk (df and prune).
import { $, act, api, h, table, when } from './lib.js';
import { heading } from './apps.js';
import { activityPanel, sessionsPanel } from './activity.js';
import { alertsPanel } from './alerts.js';
import { tokensPanel, usersPanel } from './people.js';

export function alertsPage() {
  const alerts = alertsPanel({ server: true });
  const note = h('p', { class: 'help', id: 'server-alerts-note' }, 'Loading…');
  $('#view').replaceChildren(heading('Alerts'), note, ...alerts.section,
    h('p', { class: 'help' }, 'Each app\u2019s own channels are on its page, under Settings.'));
  // The server's channels are an admin's: anyone else is told so rather than shown an empty panel.
  api('GET', '/me').then(async (me) => {
    if (me.role !== 'admin') return void (note.textContent = 'Only an admin sees and changes the server-wide alert channels.');
    await alerts.refresh();
    note.replaceChildren();
  }).catch((e) => { note.textContent = `Could not load the alerts: ${e.message}`; });
}

export function peoplePage() {
  const panels = h('div', { id: 'people-panels' });
  $('#view').replaceChildren(heading('People'), panels, sessionsPanel(), ...activityPanel());
  // People are an admin's to manage; a person manages their own tokens; any other token sees neither.
  api('GET', '/me').then((me) => {
    if (me.role === 'admin') panels.append(...usersPanel());
    if (me.role === 'admin' || me.user) panels.append(...tokensPanel(me));
  }).catch((e) => panels.replaceChildren(h('p', { class: 'error' }, `Could not load who you are: ${e.message}`)));
}

export function routerPage() {
  const facts = h('dl', { class: 'facts', id: 'router-daemon' }, h('dt', {}, 'Router'), h('dd', {}, 'Loading…'));
  const server = h('dl', { class: 'facts', id: 'server-status' });
  const restart = h('button', { type: 'button', class: 'secondary' }, 'Restart the router');
  const show = (r) => facts.replaceChildren(
    h('dt', {}, 'Process'), h('dd', {}, `pid ${r.pid}, ${r.workers} worker${r.workers === 1 ? '' : 's'} (${r.workerPids.join(', ')})`),
    h('dt', {}, 'Ports'), h('dd', {}, `HTTP ${r.port}${r.httpsPort ? `, HTTPS ${r.httpsPort}` : ''}`),
    h('dt', {}, 'Since'), h('dd', { id: 'router-since' }, when(r.startedAt)),
    h('dt', {}, 'Code'), h('dd', {}, h('code', {}, r.code)),
  );
  restart.addEventListener('click', () => act(restart, 'Restarting the router\u2019s workers…', async () => {
    show(await api('POST', '/router/restart'));
    return 'Router restarted: new workers took over; no request was dropped.';
  }));
  $('#view').replaceChildren(
    heading('Router'),
    h('p', { class: 'help' }, 'The router serves every app on the HTTP and HTTPS ports. Restarting starts new workers before the old ones drain. '
      + 'Each app\u2019s timeout, body limit and HTTPS-only setting are on its page, under Settings.'),
    facts, h('div', { class: 'actions' }, restart),
    h('h2', {}, 'Server'), server,
  );
  api('GET', '/router').then(show, (e) => facts.replaceChildren(h('dt', {}, 'Router'), h('dd', { class: 'error' }, e.message)));
  api('GET', '/status').then((s) => server.replaceChildren(
    h('dt', {}, 'Runtime'), h('dd', { id: 'server-runtime' }, s.runtime === 'process' ? 'host processes' : s.runtime === 'swarm' ? 'Docker Swarm' : `Docker ${s.docker ?? ''}`),
    h('dt', {}, 'Isolation'), h('dd', {}, s.isolation.summary),
    h('dt', {}, 'Limits'), h('dd', {}, s.limits.summary),
    h('dt', {}, 'Apps'), h('dd', {}, String(s.apps)),
  ), () => server.replaceChildren());
}

const bytes = (n) => (n < 1024 ** 2 ? `${(n / 1024).toFixed(0)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`);

/** Disk (admins, as `minicloud df` and `prune`): what uses the server's disk per app, and a prune, previewed first. */
export function diskPage() {
  const summary = h('p', { id: 'disk-summary' }, 'Loading…');
  const tbody = h('tbody');
  const result = h('pre', { class: 'commands', id: 'prune-result', hidden: true });
  const preview = h('button', { type: 'button', class: 'secondary' }, 'Preview a prune');
  const prune = h('button', { type: 'button', class: 'danger' }, 'Prune');
  const show = (u) => {
    summary.textContent = `${bytes(u.free)} free of ${bytes(u.total)}; builds and backups need ${bytes(u.needed)} free.${u.free < u.needed ? ' Below that floor: builds and backups refuse to start until space is freed.' : ''}`;
    tbody.replaceChildren(...u.apps.map((a) => h('tr', {}, h('td', {}, a.exists ? a.app : `${a.app} (destroyed)`), h('td', {}, bytes(a.repo)), h('td', {}, bytes(a.builds + a.images)),
      h('td', {}, bytes(a.cache)), h('td', {}, bytes(a.volumes)), h('td', {}, bytes(a.backups)), h('td', {}, bytes(a.logs)), h('td', {}, bytes(a.total)))));
  };
  const load = () => api('GET', '/disk').then(show);
  const said = (r) => [
    ...r.items.map((x) => `${r.dryRun ? 'Would remove' : 'Removed'} ${x.what} ${x.path} (${bytes(x.bytes)}): ${x.why}`),
    ...r.dangling.map((x) => `Kept storage ${x.path} (${bytes(x.bytes)}): ${x.why}`),
    `${r.dryRun ? 'Would free' : 'Freed'} ${bytes(r.freed)}; ${bytes(r.free)} free now`,
  ].join('\n');
  for (const [b, dryRun] of [[preview, true], [prune, false]]) {
    b.addEventListener('click', () => {
      if (!dryRun && !confirm('Remove old builds and images, build caches, leftover pushed archives and git garbage? Kept: what releases and rollbacks use.')) return;
      void act(b, dryRun ? 'Looking for what a prune would remove…' : 'Pruning…', async () => {
        const r = await api('POST', '/prune', { dryRun });
        result.hidden = false;
        result.textContent = said(r);
        await load();
        return `${r.dryRun ? 'A prune would free' : 'Freed'} ${bytes(r.freed)}.`;
      });
    });
  }
  $('#view').replaceChildren(
    heading('Disk'), summary,
    table(['App', 'Git', 'Builds', 'Build cache', 'Storage', 'Backups', 'Logs', 'Total'], tbody, { id: 'disk' }),
    h('h2', {}, 'Prune'),
    h('p', { class: 'help' }, 'Removes what no kept release needs: old builds and images, build caches, leftover pushed archives, git garbage. '
      + 'Each release that restarts and rollbacks use is kept, and so is the storage of destroyed apps (`minicloud prune --volumes` removes that).'),
    h('div', { class: 'actions' }, preview, prune), result,
  );
  load().catch((e) => { summary.textContent = e.message; summary.className = 'error'; });
}
