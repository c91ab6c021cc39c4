// App page, Cron tab: the current release's cron entries (its cloud_manifest.yml) with their last run and a "Run now"
// button, and the history of runs (start, duration, exit code) that minicloud keeps, newest first.
import { act, api, emptyRow, h, table, when } from './lib.js';

/** `1.2 s`, `3 min 4 s`; `running` while unfinished. */
function duration(run) {
  if (!run.finishedAt) return 'running';
  const s = Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const outcomeOf = (run) => (!run ? 'never ran' : run.finishedAt === null ? 'running' : run.exitCode === 0 ? 'exit 0' : `failed: exit ${run.exitCode ?? 'unknown'}`);

export function cronPanel({ base }) {
  const entries = h('tbody', {}, emptyRow(4, 'Loading…'));
  const runs = h('tbody', {}, emptyRow(5, 'Loading…'));
  const again = h('button', { type: 'button', class: 'secondary' }, 'Refresh runs');

  const refresh = async () => {
    const [list, history] = await Promise.all([api('GET', `${base}/cron`), api('GET', `${base}/cron/runs?n=30`)]);
    entries.replaceChildren(...(list.length ? list.map((e) => {
      const run = h('button', { type: 'button', class: 'secondary', 'aria-label': `Run ${e.command} now` }, 'Run now');
      run.addEventListener('click', () => act(run, `Starting ${e.command}…`, async () => {
        await api('POST', `${base}/cron/run`, { schedule: e.schedule, command: e.command });
        await refresh();
        return `Started ${e.command}; its output is in the app's logs.`;
      }));
      return h('tr', {}, h('td', {}, h('code', {}, e.schedule)), h('td', {}, h('code', {}, e.command)),
        h('td', {}, e.lastRun ? `${when(e.lastRun.startedAt)}: ${outcomeOf(e.lastRun)}` : 'never ran'), h('td', {}, run));
    }) : [emptyRow(4, 'No cron entries: add a cron list to cloud_manifest.yml and deploy.')]));
    runs.replaceChildren(...(history.length ? history.map((r) => h('tr', {},
      h('td', {}, h('time', { datetime: r.startedAt }, when(r.startedAt))), h('td', {}, h('code', {}, r.command)), h('td', {}, duration(r)),
      h('td', { class: r.finishedAt && r.exitCode !== 0 ? 'error' : null }, outcomeOf(r)), h('td', {}, r.release ? `v${r.release}` : '-'),
    )) : [emptyRow(5, 'No runs yet.')]));
  };
  again.addEventListener('click', () => act(again, 'Loading the runs…', async () => { await refresh(); }));

  return {
    section: [
      h('h2', {}, 'Cron'),
      h('p', { class: 'help' }, 'Entries run on their schedule as one-off instances of the current release; a run still going is not started twice.'),
      table(['Schedule', 'Command', 'Last run', ''], entries, { id: 'cron-entries' }),
      h('h3', {}, 'Recent runs'), h('div', { class: 'actions' }, again),
      table(['Started', 'Command', 'Took', 'Outcome', 'Release'], runs, { id: 'cron-runs' }),
    ],
    refresh,
  };
}
