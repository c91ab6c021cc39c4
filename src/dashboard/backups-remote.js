// App page, Backups tab: the app's backups in the off-box bucket (as backups:remote), each read back and checked on
// request (--verify) and restored from there, which fetches it first (how a fresh server gets its data back).
import { ApiError, act, api, emptyRow, enc, h, outcome, table, when } from './lib.js';

const bytes = (n) => (n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`);

export function remoteBackupsPanel({ name, base, refreshAll }) {
  const tbody = h('tbody', {}, emptyRow(6, 'Loading…'));
  const verify = h('button', { type: 'button', class: 'secondary' }, 'Read back and check');
  const row = (b, checked) => {
    const restore = h('button', { type: 'button', class: 'danger', 'aria-label': `Restore ${b.id} from the bucket` }, 'Restore');
    restore.addEventListener('click', () => {
      if (!confirm(`Restore ${name} from the copy of ${when(b.createdAt)} in the bucket? Its current databases and storage are replaced.`)) return;
      void act(restore, `Fetching ${b.id} from the bucket and restoring it…`, async () => {
        const r = await api('POST', `${base}/backups/${enc(b.id)}/restore`);
        await refreshAll();
        return outcome(`Restored ${r.restored.join(', ') || 'nothing'} from ${b.id} (off the box)`, r.deploy);
      });
    });
    const check = !checked ? '' : b.problem ? h('span', { class: 'error' }, `CORRUPTED: ${b.problem}`) : h('span', { class: 'ok' }, 'checksums match');
    return h('tr', {}, h('td', {}, h('code', {}, b.id)), h('td', {}, when(b.createdAt)), h('td', {}, bytes(b.size)),
      h('td', {}, b.parts.map((p) => p.name).join(', ') || '-'), h('td', {}, b.status, check ? ' ' : '', check), h('td', {}, b.problem ? '' : restore));
  };
  const fill = async (checked) => {
    let list;
    try {
      list = await api('GET', `${base}/backups/remote${checked ? '?verify=1' : ''}`);
    } catch (e) {
      // No bucket set (409) or none on this server (503): said in the table, not as a failure.
      if (e instanceof ApiError && (e.status === 409 || e.status === 503)) {
        verify.hidden = true;
        return void tbody.replaceChildren(emptyRow(6, `None: ${e.message}`));
      }
      throw e;
    }
    verify.hidden = false;
    tbody.replaceChildren(...(list.length ? list.map((b) => row(b, checked)) : [emptyRow(6, `${name} has no backups in the bucket yet.`)]));
    return list;
  };
  verify.addEventListener('click', () => act(verify, 'Reading every object back…', async () => {
    const list = await fill(true);
    const bad = (list ?? []).filter((b) => b.problem);
    return bad.length ? `${bad.length} backup(s) in the bucket are corrupted: restore another one.` : `${list?.length ?? 0} backup(s) in the bucket read back: checksums match.`;
  }));
  return {
    section: [h('h3', {}, 'Off the box'), h('p', { class: 'help' }, 'Copies in the server\u2019s S3 bucket (set on the Backups page of the menu).'),
      h('div', { class: 'actions' }, verify), table(['Backup', 'Created', 'Size', 'Parts', 'Status', ''], tbody, { id: 'remote-backups' })],
    // A bucket that does not answer is said in its table; the rest of the page still loads.
    refresh: () => fill(false).catch((e) => tbody.replaceChildren(emptyRow(6, `Could not list the bucket: ${e.message}`, 'error'))),
  };
}
