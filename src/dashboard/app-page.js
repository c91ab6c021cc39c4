// One app's page, in tabs (`#/apps/<app>/<tab>`): its facts and controls (restart, stop, start, wake), the live build
// log, processes and scaling, and the panels of the other tabs. Every panel is built once; a tab change only shows
// another part, so streams and half-filled forms survive it.
import { $, ApiError, act, api, appendLog, emptyRow, enc, field, h, outcome, status, streamNdjson, table, view, when } from './lib.js';
import { heading, stateOf } from './apps.js';
import { chartsPanel } from './charts.js';
import { logsPanel } from './logs-panel.js';
import { consolePanel } from './console.js';
import { imageDeployPanel } from './image-deploy.js';
import { configPanel, releasesPanel } from './releases-config.js';
import { addonsPanel, domainsPanel, storagePanel } from './resources.js';
import { backupsPanel, githubPanel } from './backups-github.js';
import { alertsPanel } from './alerts.js';
import { previewsPanel } from './previews.js';
import { cronPanel } from './cron.js';
import { deploysPanel } from './deploys.js';
import { settingsPanel } from './settings.js';
import { upgradePanel } from './upgrade.js';

/** The tabs, in the menu's order: [address, label]. */
export const TABS = [
  ['overview', 'Overview'], ['releases', 'Deploys & releases'], ['processes', 'Processes'], ['config', 'Config'],
  ['domains', 'Domains & certs'], ['addons', 'Add-ons & storage'], ['backups', 'Backups'], ['cron', 'Cron'],
  ['logs', 'Logs'], ['console', 'Console'], ['metrics', 'Metrics'], ['settings', 'Settings'],
];

/** Builds the app's page showing `tab` (default the overview); answers { name, show(tab) } for the router. */
export function appPage(name, tab) {
  let stopped = false;
  let stream = null;
  let streamed = null; // the build whose log is shown
  let lastSeen = null; // the newest deploy, as id:status, to notice changes
  const base = `/apps/${enc(name)}`;

  const facts = h('dl', { class: 'facts' });
  const buttons = {
    restart: h('button', { type: 'button' }, 'Restart'),
    stop: h('button', { type: 'button', class: 'danger' }, 'Stop'),
    start: h('button', { type: 'button' }, 'Start'),
    // A sleeping app wakes as it starts (its next request would wake it too).
    wake: h('button', { type: 'button', hidden: true }, 'Wake'),
  };
  const logState = h('p', { id: 'build-state', class: 'help', 'aria-live': 'polite' }, 'Waiting for a build…');
  const log = h('pre', { class: 'log', id: 'build-log', role: 'log', tabindex: '0', 'aria-labelledby': 'build-title' });
  const procs = h('tbody');
  const scaleRows = h('div', { class: 'row', id: 'scale-fields' });
  const scaleForm = h('div', { class: 'card', role: 'group', 'aria-labelledby': 'scale-title' },
    h('h3', { id: 'scale-title' }, 'Process counts'), scaleRows,
    h('p', { class: 'help' }, 'How many instances of each process type run; 0 stops a type.'));

  const ctx = { name, base, refreshAll: () => refreshAll(), isStopped: () => stopped };
  const panels = [
    chartsPanel(ctx), releasesPanel(ctx), configPanel(ctx), domainsPanel(ctx), addonsPanel(ctx), storagePanel(ctx), backupsPanel(ctx), cronPanel(ctx),
    deploysPanel(ctx), settingsPanel(ctx), githubPanel(ctx), previewsPanel(ctx), alertsPanel(ctx),
  ];
  const [charts, releases, config, domains, addons, storage, backups, cron, deployList, settings, ...more] = panels;
  const logs = logsPanel(ctx);
  const terminal = consolePanel(ctx);
  // Deploying an image is offered only where the runtime can (Docker or Swarm, not host processes).
  const image = imageDeployPanel(ctx);
  const upgrade = upgradePanel(ctx);
  const imageBox = h('div', { id: 'image-panel' });
  api('GET', '/status').then((s) => { if (s.runtime !== 'process' && !stopped) imageBox.replaceChildren(...image.section); }, () => {});

  const parts = {
    overview: [facts, h('div', { class: 'actions' }, buttons.restart, buttons.stop, buttons.start, buttons.wake), ...upgrade.section,
      h('h2', { id: 'build-title' }, 'Latest build'), logState, log],
    releases: [...deployList.section, ...releases.section, imageBox],
    processes: [h('h2', {}, 'Processes'), table(['Type', 'State', 'Release', 'Port', 'Restarts', 'Started'], procs, { id: 'instances' }), scaleForm],
    config: config.section,
    domains: domains.section,
    addons: [...addons.section, ...storage.section],
    backups: backups.section,
    cron: cron.section,
    logs: logs.section,
    console: terminal.section,
    metrics: charts.section,
    settings: [...settings.section, ...more.flatMap((p) => p.section)],
  };
  const boxes = Object.fromEntries(TABS.map(([id, label]) => [id, h('section', { class: 'tab', id: `tab-${id}`, 'aria-label': label }, ...parts[id])]));
  const links = Object.fromEntries(TABS.map(([id, label]) => [id, h('a', { href: `#/apps/${name}/${id}` }, label)]));
  const show = (wanted) => {
    const current = boxes[wanted] ? wanted : 'overview';
    for (const [id] of TABS) {
      boxes[id].hidden = id !== current;
      if (id === current) links[id].setAttribute('aria-current', 'page');
      else links[id].removeAttribute('aria-current');
    }
    if (current === 'console') terminal.shown();
  };

  $('#view').replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '\u2190 All apps')),
    heading(name),
    h('nav', { class: 'tabs', 'aria-label': `${name} sections` }, ...TABS.map(([id]) => links[id])),
    ...TABS.map(([id]) => boxes[id]),
  );
  show(tab);

  const refreshInfo = async () => {
    const [a, formation, deploys] = await Promise.all([api('GET', base), api('GET', `${base}/formation`).catch(() => ({})), api('GET', `${base}/deploys`)]);
    const link = a.url ? h('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer', id: 'app-url' }, a.url) : '-';
    facts.replaceChildren(
      h('dt', {}, 'State'), h('dd', { id: 'app-state' }, stateOf(a, deploys[0], a.instances)),
      h('dt', {}, 'Current release'), h('dd', { id: 'app-release' }, a.currentRelease ? `v${a.currentRelease}` : '-'),
      h('dt', {}, 'URL'), h('dd', {}, link),
      h('dt', {}, 'Git remote'), h('dd', {}, h('code', {}, a.gitUrl)),
      ...(a.maintenance ? [h('dt', {}, 'Maintenance'), h('dd', { id: 'app-maintenance' }, 'on: visitors get a 503 page (Settings turns it off)')] : []),
    );
    buttons.restart.disabled = !a.currentRelease || a.state === 'stopped';
    buttons.stop.disabled = !a.currentRelease || a.state === 'stopped';
    buttons.start.disabled = !a.currentRelease || a.state !== 'stopped';
    buttons.start.hidden = a.state === 'sleeping';
    buttons.wake.hidden = a.state !== 'sleeping';
    procs.replaceChildren(...(a.instances.length ? a.instances.map((p) => h('tr', {},
      h('td', {}, p.type), h('td', {}, p.state), h('td', {}, `v${p.release}`), h('td', {}, p.port), h('td', {}, p.restarts), h('td', {}, when(p.startedAt)),
    )) : [emptyRow(6, 'Nothing running.')]));
    fillScale(formation);
  };

  // One number field and Scale button per process type; the focused field is left alone while the user types.
  const fillScale = (formation) => {
    if (scaleForm.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
    const types = Object.keys(formation).sort();
    if (types.length === 0) return void scaleRows.replaceChildren(h('p', { class: 'help' }, 'No process types yet: deploy first.'));
    scaleRows.replaceChildren(...types.map((type) => {
      const f = field(`scale-${type}`, `${type} instances`, { type: 'number', min: '0', max: '100', step: '1', required: true, value: String(formation[type]) });
      const go = h('button', { type: 'submit', class: 'secondary', 'aria-label': `Scale ${type}` }, 'Scale');
      // One form per type: Enter in its field scales that type.
      const form = h('form', { class: 'row' }, f.el, go);
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        act(go, `Scaling ${type}…`, async () => {
          const res = await api('PATCH', `${base}/formation`, { [type]: Number(f.input.value) });
          await refreshInfo();
          return `Scaled ${type} to ${res.formation[type]}.`;
        });
      });
      return form;
    }));
  };

  // Every deploy can change all of these (a rollback restores its release's config vars).
  const refreshAll = () => Promise.all([refreshInfo(), ...panels.map((p) => p.refresh())]).catch((e) => status(`Could not load ${name}: ${e.message}`));

  buttons.restart.addEventListener('click', () => act(buttons.restart, 'Restarting…', async () => {
    const { deploy } = await api('POST', `${base}/restart`);
    await refreshAll();
    return outcome('Restarted', deploy);
  }));
  buttons.stop.addEventListener('click', () => act(buttons.stop, 'Stopping…', async () => {
    await api('POST', `${base}/stop`);
    await refreshAll();
    return 'Stopped.';
  }));
  for (const [b, doing, done] of [[buttons.start, 'Starting…', 'Started'], [buttons.wake, 'Waking…', 'Woken']]) {
    b.addEventListener('click', () => act(b, doing, async () => {
      const { deploy } = await api('POST', `${base}/start`);
      await refreshAll();
      return outcome(done, deploy);
    }));
  }

  // The latest build's log, streamed as NDJSON while it runs (the API replays it from the start).
  const follow = async (deployId) => {
    stream?.abort();
    const ctl = new AbortController();
    stream = ctl;
    streamed = deployId;
    log.replaceChildren();
    logState.textContent = 'Building…';
    let ended = false;
    try {
      await streamNdjson(`${base}/logs?build=1&follow=1`, ctl.signal, (e) => {
        if (e.type === 'line') appendLog(log, e.text);
        else if (e.type === 'end') {
          ended = true;
          logState.textContent = e.status === 'succeeded'
            ? `Build succeeded${e.release ? `: v${e.release} is live` : ''}.`
            : `Build failed${e.error ? `: ${e.error}` : ''}.`;
          void refreshAll();
        }
      });
    } catch (e) {
      if (ctl.signal.aborted) return;
      logState.textContent = `Log stream interrupted (${e.message}); reconnecting…`;
    }
    // A stream that stopped before the build ended is picked up again by the next poll.
    if (!ended && stream === ctl) streamed = null;
  };

  // Polls the deploy list only to notice a new build (then streams it) or any other change.
  let timer = null;
  const poll = async () => {
    try {
      const deploys = await api('GET', `${base}/deploys`);
      const build = deploys.find((d) => d.kind === 'build');
      if (build && build.id !== streamed) void follow(build.id);
      if (!build) logState.textContent = 'No builds yet: push with git to deploy.';
      const seen = deploys[0] ? `${deploys[0].id}:${deploys[0].status}` : '';
      if (seen !== lastSeen) {
        lastSeen = seen;
        await refreshAll();
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return void status(`${name}: ${e.message}`);
    }
    if (!stopped) timer = setTimeout(poll, 2000);
  };

  view.stop = () => { stopped = true; clearTimeout(timer); stream?.abort(); logs.stop(); terminal.stop(); image.stop(); charts.stop?.(); };
  void poll();
  logs.start();
  return { name, show };
}
