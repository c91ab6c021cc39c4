// App page panels: backups (list, make one, restore one, the schedule, the copies off the box) and connecting a GitHub repository (payload URL and secret).
import { act, api, ApiError, emptyRow, enc, field, h, outcome, table, when } from './lib.js';
import { remoteBackupsPanel } from './backups-remote.js';

const bytes = (n) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

/** `postgres 2 tables/5 rows ok, volume /data 3 entries ok`, as the CLI says it. */
function contents(b) {
  if (!b.parts?.length) return b.error ?? '-';
  const rows = (r) => Object.values(r ?? {}).reduce((a, n) => a + n, 0);
  return b.parts.map((p) => `${p.name} ${p.kind === 'volume' ? `${p.tables ?? 0} entries` : `${p.tables ?? 0} tables/${rows(p.rows)} rows`} ${p.verified ? 'ok' : 'NOT verified'}`).join(', ');
}

export function backupsPanel({ name, base, refreshAll }) {
  const tbody = h('tbody');
  const remote = remoteBackupsPanel({ name, base, refreshAll });
  const note = h('p', { class: 'help' }, 'Each backup dumps the app\u2019s databases and storage and is verified by restoring it into a scratch copy. '
    + 'Restoring one puts its data back over the current data and restarts the app.');
  const create = h('button', { type: 'button' }, 'Create backup');
  const restoreButton = (b) => h('button', { type: 'button', class: 'danger', 'aria-label': `Restore backup ${b.id}`, onclick: (ev) => {
    if (!confirm(`Restore ${name} from the backup of ${when(b.createdAt)}? Its current databases and storage are replaced.`)) return;
    void act(ev.currentTarget, `Restoring ${b.id}…`, async () => {
      const r = await api('POST', `${base}/backups/${enc(b.id)}/restore`);
      await refreshAll();
      return outcome(`Restored ${r.restored.join(', ') || 'nothing'} from ${b.id}`, r.deploy);
    });
  } }, 'Restore');

  // The schedule: how often, and how many good backups are kept.
  const freq = field('backup-frequency', 'Back up', { tag: 'select', autocomplete: undefined, spellcheck: undefined });
  freq.input.append(...[['off', 'Off'], ['hourly', 'Hourly'], ['daily', 'Daily'], ['weekly', 'Weekly']].map(([v, t]) => h('option', { value: v }, t)));
  const keep = field('backup-keep', 'Keep (newest good ones)', { type: 'number', min: '1', max: '1000', step: '1', value: '7' });
  const saveSchedule = h('button', { type: 'submit' }, 'Save schedule');
  const scheduleState = h('p', { id: 'backup-schedule-state', class: 'help' });
  const scheduleForm = h('form', { class: 'card', 'aria-label': 'Backup schedule' }, h('div', { class: 'row' }, freq.el, keep.el, saveSchedule), scheduleState);
  const showSchedule = (s, force) => {
    scheduleState.textContent = s.frequency === 'off' ? 'No schedule: backups are made only on request.'
      : `Backed up ${s.frequency}, keeping the newest ${s.keep} good backups${s.lastRunAt ? `; last ${when(s.lastRunAt)}` : ''}.`;
    if (force || !scheduleForm.contains(document.activeElement)) {
      freq.input.value = s.frequency;
      keep.input.value = String(s.keep);
    }
  };
  scheduleForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(saveSchedule, 'Saving the schedule…', async () => {
      const s = await api('PUT', `${base}/backups/schedule`, { frequency: freq.input.value, keep: Number(keep.input.value) });
      showSchedule(s, true);
      return s.frequency === 'off' ? 'Backup schedule off.' : `Backups ${s.frequency}, keeping ${s.keep}.`;
    });
  });

  const refresh = async () => {
    let list;
    try {
      [list] = await Promise.all([api('GET', `${base}/backups`), api('GET', `${base}/backups/schedule`).then((s) => showSchedule(s, false)), remote.refresh()]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 503) return void tbody.replaceChildren(emptyRow(6, e.message));
      throw e;
    }
    tbody.replaceChildren(...(list.length ? list.map((b) => h('tr', {},
      h('td', {}, when(b.createdAt)), h('td', {}, b.status), h('td', {}, bytes(b.size)), h('td', {}, contents(b)), h('td', {}, b.trigger),
      h('td', {}, b.status === 'good' || b.status === 'unverified' ? h('div', { class: 'actions' }, restoreButton(b),
        // A plain download through the session cookie (as backups:download): a tar of the backup's files.
        h('a', { class: 'button secondary', href: `/api${base}/backups/${enc(b.id)}/download`, download: `${name}-${b.id}.tar`, 'aria-label': `Download backup ${b.id}` }, 'Download')) : ''),
    )) : [emptyRow(6, 'No backups yet.')]));
  };
  create.addEventListener('click', () => act(create, 'Making a backup…', async () => {
    const b = await api('POST', `${base}/backups`);
    await refresh();
    if (b.status === 'failed') return `The backup failed: ${b.error ?? 'no reason given'}`;
    return b.status === 'good' ? `Backup ${b.id} made and verified (${bytes(b.size)}).` : `Backup ${b.id} made (${bytes(b.size)}) but not verified: ${contents(b)}`;
  }));
  return {
    section: [h('h2', {}, 'Backups'), note, h('div', { class: 'actions' }, create), table(['Created', 'Status', 'Size', 'Contents', 'Trigger', ''], tbody, { id: 'backups' }),
      h('h3', {}, 'Schedule'), scheduleForm, ...remote.section],
    refresh,
  };
}

export function githubPanel({ base }) {
  const current = h('div', { 'aria-live': 'polite' });
  const repo = field('github-repo', 'Repository', { required: true, placeholder: 'owner/repo', pattern: '[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+' });
  const branch = field('github-branch', 'Branch', { value: 'main', required: true });
  const token = field('github-token', 'Access token (private repositories)', { type: 'password', autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Connect repository');
  const form = h('form', { class: 'card', 'aria-label': 'Connect a GitHub repository' },
    h('div', { class: 'row' }, repo.el, branch.el, token.el, submit),
    h('p', { class: 'help' }, 'Each push to the branch then builds and releases the app. Connecting again makes a new secret.'));

  const show = (link, secret) => {
    const facts = [
      h('dt', {}, 'Repository'), h('dd', {}, h('code', {}, link.repo), ` (branch ${link.branch})`),
      h('dt', {}, 'Payload URL'), h('dd', {}, h('code', { id: 'github-payload-url' }, link.payloadUrl)),
      h('dt', {}, 'Content type'), h('dd', {}, h('code', {}, 'application/json')),
      h('dt', {}, 'Events'), h('dd', {}, 'Just the push event'),
    ];
    if (secret) {
      // The secret is shown once, after connecting, and only on a click: it is not in the page until then.
      const value = h('dd', { id: 'github-secret' }, '••••');
      const reveal = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Reveal secret');
      reveal.addEventListener('click', () => {
        value.replaceChildren(h('code', {}, secret));
        reveal.remove();
      });
      facts.push(h('dt', {}, 'Secret'), value);
      current.replaceChildren(h('p', { class: 'ok' }, 'Add a webhook in the repository\u2019s Settings \u2192 Webhooks with:'), h('dl', { class: 'facts' }, facts), reveal,
        h('p', { class: 'help' }, 'Copy the secret now: it is not shown again.'));
    } else {
      current.replaceChildren(h('dl', { class: 'facts' }, facts));
    }
  };

  // The one-time secret stays on screen: checked again after the request, which may cross a connect.
  const secretShown = () => current.querySelector('#github-secret') !== null;
  const refresh = async () => {
    if (secretShown()) return;
    const link = await api('GET', `${base}/github`);
    if (secretShown()) return;
    if (link.connected) show(link);
    else current.replaceChildren(h('p', {}, 'No repository connected.'));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(submit, 'Connecting…', async () => {
      const body = { repo: repo.input.value.trim(), branch: branch.input.value.trim() || 'main', ...(token.input.value ? { token: token.input.value } : {}) };
      const link = await api('POST', `${base}/github`, body);
      token.input.value = '';
      show(link, link.secret);
      return `Connected ${link.repo}.`;
    });
  });
  return { section: [h('h2', {}, 'GitHub'), current, form], refresh };
}
