// App page panels: backups (list, make one) and connecting a GitHub repository (payload URL and secret).
import { act, api, ApiError, emptyRow, field, h, table, when } from './lib.js';

const bytes = (n) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

/** `postgres 2 tables/5 rows ok, volume /data 3 entries ok`, as the CLI says it. */
function contents(b) {
  if (!b.parts?.length) return b.error ?? '-';
  const rows = (r) => Object.values(r ?? {}).reduce((a, n) => a + n, 0);
  return b.parts.map((p) => `${p.name} ${p.kind === 'volume' ? `${p.tables ?? 0} entries` : `${p.tables ?? 0} tables/${rows(p.rows)} rows`} ${p.verified ? 'ok' : 'NOT verified'}`).join(', ');
}

export function backupsPanel({ base }) {
  const tbody = h('tbody');
  const note = h('p', { class: 'help' }, 'Each backup dumps the app\u2019s databases and storage and is verified by restoring it into a scratch copy. Restore with `minicloud backups:restore`.');
  const create = h('button', { type: 'button' }, 'Create backup');
  const refresh = async () => {
    let list;
    try {
      list = await api('GET', `${base}/backups`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 503) return void tbody.replaceChildren(emptyRow(5, e.message));
      throw e;
    }
    tbody.replaceChildren(...(list.length ? list.map((b) => h('tr', {},
      h('td', {}, when(b.createdAt)), h('td', {}, b.status), h('td', {}, bytes(b.size)), h('td', {}, contents(b)), h('td', {}, b.trigger),
    )) : [emptyRow(5, 'No backups yet.')]));
  };
  create.addEventListener('click', () => act(create, 'Making a backup…', async () => {
    const b = await api('POST', `${base}/backups`);
    await refresh();
    if (b.status === 'failed') return `The backup failed: ${b.error ?? 'no reason given'}`;
    return b.status === 'good' ? `Backup ${b.id} made and verified (${bytes(b.size)}).` : `Backup ${b.id} made (${bytes(b.size)}) but not verified: ${contents(b)}`;
  }));
  return {
    section: [h('h2', {}, 'Backups'), note, h('div', { class: 'actions' }, create), table(['Created', 'Status', 'Size', 'Contents', 'Trigger'], tbody, { id: 'backups' })],
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
    const link = await api('GET', `${base}/github`).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
    if (secretShown()) return;
    if (link) show(link);
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
