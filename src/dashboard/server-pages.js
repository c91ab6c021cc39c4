// The top menu's server-wide pages: Alerts (the server's channels), People (who is logged in, recent activity) and
// Router (the router daemon with its restart, and what the server runs on).
import { $, act, api, h, when } from './lib.js';
import { heading } from './apps.js';
import { activityPanel, sessionsPanel } from './activity.js';
import { alertsPanel } from './alerts.js';

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
  $('#view').replaceChildren(heading('People'), sessionsPanel(), ...activityPanel());
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
