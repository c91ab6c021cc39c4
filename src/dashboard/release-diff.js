// Comparing two releases on the app page: build, config var names (values masked), processes, manifest and
// formation changes, with a rollback from the comparison. The server sends names only; no value is in the page.
import { act, api, emptyRow, h, table, when } from './lib.js';

const short = (sha) => (sha ? sha.slice(0, 7) : null);

/** The image or commit a release runs, in one line. */
function buildOf(r) {
  const image = r.image ? `image ${r.image.ref} (${r.image.id.replace(/^sha256:/, '').slice(0, 12)})` : null;
  const commit = r.commit ? `commit ${short(r.commit)}` : null;
  return [image, commit].filter(Boolean).join(', ') || r.buildpack;
}

const changeRows = (changes, what) => (changes.length
  ? changes.map((c) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, c.name)), h('td', {}, c.from ?? '(none)'), h('td', {}, c.to ?? '(none)')))
  : [emptyRow(3, `No ${what} changes.`)]);

function configRows(config) {
  const rows = [
    ...config.added.map((k) => [k, 'added']), ...config.removed.map((k) => [k, 'removed']), ...config.changed.map((k) => [k, 'changed']),
  ];
  // The value column is a mask, always: the API never sends values here.
  return rows.length
    ? rows.map(([k, how]) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), h('td', {}, h('span', { class: 'badge' }, how)), h('td', {}, '••••')))
    : [emptyRow(3, 'No config var changes.')];
}

export function releaseDiffPanel({ base, refreshAll }) {
  const from = h('select', { id: 'compare-from', name: 'from' });
  const to = h('select', { id: 'compare-to', name: 'to' });
  const out = h('div', { id: 'release-diff', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'compare-title' },
    h('h3', { id: 'compare-title' }, 'Compare releases'),
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'compare-from' }, 'From release'), from),
      h('div', {}, h('label', { for: 'compare-to' }, 'To release'), to),
      h('button', { type: 'submit' }, 'Compare')),
    h('p', { class: 'help' }, 'Config vars are compared on the server: only their names are shown, never their values.'));

  const rollbackButton = (r) => {
    if (r.current || r.status !== 'succeeded') return null;
    const b = h('button', { type: 'button', class: 'secondary', 'aria-label': `Roll back to v${r.version} from the comparison` }, `Roll back to v${r.version}`);
    b.addEventListener('click', (ev) => act(ev.currentTarget, `Rolling back to v${r.version}…`, async () => {
      const { deploy } = await api('POST', `${base}/rollback`, { version: r.version });
      await refreshAll();
      return deploy.status === 'succeeded' ? `Rolled back to v${r.version} (now v${deploy.release}).` : `Rollback failed: ${deploy.error ?? deploy.status}`;
    }));
    return b;
  };

  const show = (d) => {
    const [f, t] = [d.from, d.to];
    out.replaceChildren(h('div', { class: 'card' },
      h('h3', {}, `v${f.version} → v${t.version}`),
      h('dl', { class: 'facts' },
        h('dt', {}, `v${f.version}`), h('dd', {}, `${f.description} (${when(f.createdAt)})`),
        h('dt', {}, `v${t.version}`), h('dd', {}, `${t.description} (${when(t.createdAt)})`),
        h('dt', {}, 'Build'), h('dd', { id: 'diff-build' }, d.sameBuild ? `unchanged (${buildOf(t)})` : `${buildOf(f)} → ${buildOf(t)}`),
        ...(!d.sameBuild && (f.commitMessage || t.commitMessage)
          ? [h('dt', {}, 'Message'), h('dd', {}, `${f.commitMessage ?? '-'} → ${t.commitMessage ?? '-'}`)] : [])),
      h('h3', {}, 'Config vars'), table(['Name', 'Change', 'Value'], h('tbody', {}, configRows(d.config)), { id: 'diff-config' }),
      h('h3', {}, 'Processes'), table(['Type', `v${f.version}`, `v${t.version}`], h('tbody', {}, changeRows(d.processes, 'process')), { id: 'diff-processes' }),
      h('h3', {}, 'Manifest'), table(['Field', `v${f.version}`, `v${t.version}`], h('tbody', {}, changeRows(d.manifest, 'manifest')), { id: 'diff-manifest' }),
      h('h3', {}, 'Formation'), table(['Type', `v${f.version}`, `v${t.version}`], h('tbody', {}, changeRows(d.formation, 'formation')), { id: 'diff-formation' }),
      h('div', { class: 'actions' }, rollbackButton(f), rollbackButton(t))));
  };

  const compare = (a, b, button) => act(button, `Comparing v${a} with v${b}…`, async () => {
    show(await api('GET', `${base}/releases/${a}/diff/${b}`));
    return `Compared v${a} with v${b}.`;
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void compare(from.value, to.value, form.querySelector('button[type="submit"]'));
  });

  /** Fills the two choices from the release list (kept while the user's choice is still a release). */
  const fill = (list) => {
    for (const [select, fallback] of [[from, list[1] ?? list[0]], [to, list[0]]]) {
      const keep = select.value;
      select.replaceChildren(...list.map((r) => h('option', { value: String(r.version) }, `v${r.version}${r.current ? ' (current)' : ''}`)));
      if (list.some((r) => String(r.version) === keep)) select.value = keep;
      else if (fallback) select.value = String(fallback.version);
    }
  };

  /** A release row's button: compares that release with the current one. */
  const compareButton = (r, current) => {
    if (!current || r.version === current.version) return null;
    const b = h('button', { type: 'button', class: 'secondary' }, `Compare v${r.version} with v${current.version}`);
    b.addEventListener('click', () => {
      from.value = String(r.version);
      to.value = String(current.version);
      void compare(r.version, current.version, b).then(() => out.scrollIntoView?.({ block: 'nearest' }));
    });
    return b;
  };
  return { section: [form, out], fill, compareButton };
}
