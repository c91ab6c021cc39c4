// App page panels: releases with rollback and compare buttons, and config vars (values hidden until revealed; set, unset).
import { act, api, emptyRow, h, status, table, when } from './lib.js';
import { releaseDiffPanel } from './release-diff.js';

export function releasesPanel(ctx) {
  const { base, refreshAll } = ctx;
  const tbody = h('tbody');
  const diff = releaseDiffPanel(ctx);
  // Rows are rebuilt only when the list changed: a button is not replaced under a finger (or a click) for nothing.
  let shown = null;
  const refresh = async () => {
    const list = await api('GET', `${base}/releases`);
    const sig = JSON.stringify(list);
    if (sig === shown) return;
    shown = sig;
    const current = list.find((r) => r.current);
    diff.fill(list);
    tbody.replaceChildren(...(list.length ? list.map((r) => {
      let action = r.current ? h('span', { class: 'badge' }, 'current') : '';
      if (!r.current && r.status === 'succeeded') {
        action = h('button', { type: 'button', class: 'secondary' }, `Roll back to v${r.version}`);
        action.addEventListener('click', (ev) => act(ev.currentTarget, `Rolling back to v${r.version}…`, async () => {
          const { deploy } = await api('POST', `${base}/rollback`, { version: r.version });
          await refreshAll();
          return deploy.status === 'succeeded' ? `Rolled back to v${r.version} (now v${deploy.release}).` : `Rollback failed: ${deploy.error ?? deploy.status}`;
        }));
      }
      return h('tr', {},
        h('td', {}, `v${r.version}`, r.status !== 'succeeded' ? ` (${r.status})` : ''),
        h('td', {}, r.description),
        h('td', {}, r.commit ? h('code', {}, r.commit.slice(0, 7)) : '-', r.commitMessage ? ` ${r.commitMessage}` : ''),
        h('td', {}, when(r.createdAt)),
        h('td', {}, h('div', { class: 'actions' }, action, diff.compareButton(r, current))));
    }) : [emptyRow(5, 'No releases yet.')]));
  };
  return { section: [h('h2', {}, 'Releases'), table(['Version', 'Description', 'Commit', 'Created', ''], tbody), ...diff.section], refresh };
}

export function configPanel({ base, refreshAll }) {
  const tbody = h('tbody');
  const key = h('input', { id: 'config-key', name: 'key', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z_][A-Za-z0-9_]*' });
  const value = h('input', { id: 'config-value', name: 'value', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'card' }, h('div', { class: 'row' },
    h('div', {}, h('label', { for: 'config-key' }, 'Name'), key),
    h('div', {}, h('label', { for: 'config-value' }, 'Value'), value),
    h('button', { type: 'submit' }, 'Set config var')),
  h('p', { class: 'help' }, 'Setting a var restarts the app as a new release.'));

  // Only the names stay in the page; a value is shown once its row is revealed (and kept so on refresh).
  const revealed = new Set();
  // Rows are rebuilt only when the names (or a revealed value, on screen anyway) changed.
  let shown = null;
  const refresh = async () => {
    const all = await api('GET', `${base}/config`);
    const keys = Object.keys(all).sort();
    for (const k of revealed) if (!(k in all)) revealed.delete(k);
    const sig = JSON.stringify([keys, [...revealed].sort().map((k) => all[k])]);
    if (sig === shown) return;
    shown = sig;
    tbody.replaceChildren(...(keys.length ? keys.map((k) => {
      const cell = h('td', { class: 'config-value' });
      const reveal = h('button', { type: 'button', class: 'secondary' });
      const show = (v) => {
        const on = v !== null;
        cell.replaceChildren(on ? h('code', {}, v) : '••••');
        reveal.textContent = on ? 'Hide' : 'Reveal';
        reveal.setAttribute('aria-label', `${on ? 'Hide' : 'Reveal'} ${k}`);
        reveal.setAttribute('aria-pressed', String(on));
      };
      show(revealed.has(k) ? all[k] : null);
      reveal.addEventListener('click', async () => {
        if (revealed.has(k)) {
          revealed.delete(k);
          return show(null);
        }
        try {
          const fresh = await api('GET', `${base}/config`);
          revealed.add(k);
          show(fresh[k] ?? '(unset)');
        } catch (e) {
          status(`Could not read ${k}: ${e.message}`);
        }
      });
      const unset = h('button', { type: 'button', class: 'danger', 'aria-label': `Unset ${k}` }, 'Unset');
      unset.addEventListener('click', () => {
        if (!confirm(`Unset ${k}? The app restarts without it.`)) return;
        void act(unset, `Unsetting ${k}…`, async () => {
          const { deploy } = await api('PATCH', `${base}/config`, { [k]: null });
          await refreshAll();
          if (!deploy) return `Unset ${k}.`;
          return deploy.status === 'succeeded' ? `Unset ${k}; v${deploy.release} is live.` : `Unset ${k}, but the restart failed: ${deploy.error ?? deploy.status}`;
        });
      });
      return h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), cell, h('td', {}, h('div', { class: 'actions' }, reveal, unset)));
    }) : [emptyRow(3, 'No config vars.')]));
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = key.value.trim();
    act(form.querySelector('button'), `Setting ${k}…`, async () => {
      const { deploy } = await api('PATCH', `${base}/config`, { [k]: value.value });
      key.value = '';
      value.value = '';
      await refreshAll();
      if (!deploy) return `Set ${k}.`;
      return deploy.status === 'succeeded' ? `Set ${k}; v${deploy.release} is live.` : `Set ${k}, but the restart failed: ${deploy.error ?? deploy.status}`;
    });
  });
  return { section: [h('h2', {}, 'Config vars'), table(['Name', 'Value', ''], tbody), form], refresh };
}
