// The overview's catalog panel, for apps installed from the catalog: the entry and the version the app runs, and an
// upgrade to a newer version the entry lists (as `apps:upgrade`: a backup first, rolled back if it is not healthy).
import { ApiError, api, appendLog, h, streamNdjson } from './lib.js';

/** What the app runs, in a sentence. */
function runs(u, newer) {
  if (u.installed === null) return `its current release runs no version of the entry ${u.id}`;
  return `${u.name} ${u.installed}${newer.length ? `; ${u.name} ${u.newest} is the newest` : ', the newest the catalog has'}`;
}

/** The versions newer than the one the app runs (the entry lists them newest first). */
function newerOf(u) {
  const at = u.installed === null ? -1 : u.versions.indexOf(u.installed);
  return at < 0 ? [] : u.versions.slice(0, at);
}

export function upgradePanel(ctx) {
  const box = h('div', { id: 'catalog-panel' });
  const version = h('p', { id: 'catalog-version' });
  const describe = (u) => { version.textContent = `Installed from the catalog: ${runs(u, newerOf(u))}.`; };
  (async () => {
    let u;
    try {
      u = await api('GET', `${ctx.base}/upgrade`);
    } catch (e) {
      // Not from the catalog (409), or not the caller's to see: no panel.
      if (e instanceof ApiError) return;
      throw e;
    }
    describe(u);
    const newer = newerOf(u);
    box.replaceChildren(h('h2', { id: 'catalog-title' }, 'From the catalog'), version,
      ...(newer.length ? [upgradeForm(ctx, newer, () => api('GET', `${ctx.base}/upgrade`).then(describe, () => {}))] : []));
  })().catch(() => {});
  return { section: [box] };
}

function upgradeForm(ctx, newer, done) {
  const to = h('select', { id: 'upgrade-to', name: 'to' }, ...newer.map((v) => h('option', { value: v }, v)));
  const button = h('button', { type: 'submit' }, 'Upgrade');
  const state = h('p', { id: 'upgrade-state', 'aria-live': 'polite' });
  const log = h('pre', { class: 'log', id: 'upgrade-log', role: 'log', tabindex: '0', 'aria-label': 'Upgrade log', hidden: true });
  const form = h('form', { class: 'card', 'aria-labelledby': 'catalog-title' },
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'upgrade-to' }, 'Upgrade to'), to), button),
    h('p', { class: 'help' }, 'A backup is taken first; if the new version does not come up healthy, the one running now keeps serving.'),
    state, log);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    log.hidden = false;
    log.replaceChildren();
    state.className = '';
    state.textContent = `Upgrading to ${to.value}…`;
    let end = null;
    try {
      await streamNdjson(`${ctx.base}/upgrade`, undefined, (e) => {
        if (e.type === 'line') appendLog(log, e.text);
        else if (e.type === 'end') end = e;
      }, { to: to.value });
      state.className = end?.status === 'succeeded' ? 'ok' : 'error';
      state.textContent = end?.status === 'succeeded' ? `Upgraded to ${to.value}.` : 'The upgrade failed; the log above says what runs now.';
    } catch (e) {
      state.className = 'error';
      state.textContent = `Could not upgrade: ${e.message}`;
    } finally {
      button.disabled = false;
      ctx.refreshAll();
      done();
    }
  });
  return form;
}
