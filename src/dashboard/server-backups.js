// The Backups page (admins): the off-box S3 target set, shown and removed (as backups:target; the secret key is
// write-only), and the whole server's archive downloaded and restored (as `minicloud backup` and `restore`).
import { $, ApiError, act, api, appendLog, field, h, hooks, session, status } from './lib.js';
import { heading } from './apps.js';

function targetSection() {
  const shown = h('dl', { class: 'facts', id: 'backup-target' }, h('dt', {}, 'Target'), h('dd', {}, 'Loading…'));
  const url = field('target-url', 'Bucket (s3://bucket/prefix)', { required: true, placeholder: 's3://my-backups/minicloud', pattern: 's3://.+' });
  const endpoint = field('target-endpoint', 'Endpoint (the S3 API URL)', { required: true, type: 'url', placeholder: 'https://s3.eu-central-1.amazonaws.com' });
  const region = field('target-region', 'Region (empty: us-east-1)', { placeholder: 'us-east-1' });
  const keyId = field('target-key-id', 'Access key id', { required: true });
  // Write-only: never filled from the server, emptied once sent.
  const secret = field('target-secret', 'Secret access key', { required: true, type: 'password', autocomplete: 'new-password' });
  const save = h('button', { type: 'submit' }, 'Save target');
  const form = h('form', { class: 'card', 'aria-label': 'Off-box backup target' }, h('div', { class: 'row' }, url.el, endpoint.el, region.el, keyId.el, secret.el, save),
    h('p', { class: 'help' }, 'minicloud checks that the bucket answers before keeping the keys (in a 0600 file); the secret key is never shown again.'));
  const remove = h('button', { type: 'button', class: 'danger', hidden: true }, 'Stop copying off the box');

  const show = (t) => {
    remove.hidden = !t;
    shown.replaceChildren(...(t ? [
      h('dt', {}, 'Bucket'), h('dd', {}, h('code', {}, t.url)), h('dt', {}, 'Endpoint'), h('dd', {}, h('code', {}, t.endpoint)),
      h('dt', {}, 'Region'), h('dd', {}, t.region), h('dt', {}, 'Access key id'), h('dd', {}, h('code', {}, t.accessKeyId)),
      h('dt', {}, 'Secret key'), h('dd', {}, 'kept on the server, never shown'),
    ] : [h('dt', {}, 'Target'), h('dd', {}, 'None: backups stay on this server only.')]));
  };
  const load = () => api('GET', '/backups/target').then(show, (e) => shown.replaceChildren(h('dt', {}, 'Target'), h('dd', { class: 'error' }, e.message)));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(save, 'Checking the bucket…', async () => {
      const body = { url: url.input.value.trim(), endpoint: endpoint.input.value.trim(), accessKeyId: keyId.input.value.trim(), secretAccessKey: secret.input.value };
      if (region.input.value.trim()) body.region = region.input.value.trim();
      try {
        const t = await api('PUT', '/backups/target', body);
        show(t);
        return `Backups are copied to ${t.url} from now on.`;
      } finally {
        secret.input.value = ''; // never left in the page, kept or refused
      }
    });
  });
  remove.addEventListener('click', () => {
    if (!confirm('Stop copying backups off the box? The copies already in the bucket stay.')) return;
    void act(remove, 'Removing the target…', async () => {
      const r = await api('DELETE', '/backups/target');
      await load();
      return r.removed ? 'Backups are no longer copied off the box; the copies in the bucket stay.' : 'No target was set.';
    });
  });
  load();
  return [h('h2', {}, 'Off the box'), h('p', { class: 'help' }, 'Every backup is also copied to an S3-compatible bucket and read back. '
    + 'Each app\u2019s copies there are listed, checked and restored on its Backups tab, even on a fresh server.'), shown, h('div', { class: 'actions' }, remove), form];
}

/** Sends the archive as the request body and shows the restore's NDJSON progress as it arrives. */
async function restoreArchive(file, force, log) {
  const res = await fetch(`/api/server/restore${force ? '?force=1' : ''}`, {
    method: 'POST', credentials: 'same-origin', body: file, headers: { 'content-type': 'application/gzip', 'x-csrf-token': session.csrf ?? '' },
  });
  if (res.status === 401) hooks.onLoggedOut('Your session has ended; log in again.');
  if (!res.ok || !res.body) throw new ApiError(res.status, await res.json().catch(() => null));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let end = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines.filter((l) => l.trim())) {
      const e = JSON.parse(line);
      if (e.type === 'line') appendLog(log, e.text);
      else end = e;
    }
  }
  if (!end) throw new Error('the connection ended before the restore did; see the apps list and the server log');
  const failed = end.apps.filter((a) => a.status !== 'restored');
  const said = `${end.apps.length - failed.length} of ${end.apps.length} app(s) restored`;
  if (failed.length) throw new Error(`${said}; not restored: ${failed.map((a) => `${a.name} (${a.error ?? 'no reason given'})`).join('; ')}`);
  return `${said}.`;
}

function serverSection() {
  const download = h('a', { class: 'button secondary', id: 'server-backup-download', href: '/api/server/backup', download: '' }, 'Download a server backup');
  const file = field('server-archive', 'Archive (.tar.gz from a server backup)', { type: 'file', accept: '.gz,.tgz,application/gzip', required: true });
  const force = h('input', { type: 'checkbox', id: 'server-restore-force' });
  const restore = h('button', { type: 'submit', class: 'danger' }, 'Restore server backup');
  const log = h('pre', { class: 'log', id: 'server-restore-log', role: 'log', hidden: true });
  const form = h('form', { class: 'card', 'aria-label': 'Restore a server backup' },
    h('div', { class: 'row' }, file.el, h('div', { class: 'check' }, force, h('label', { for: 'server-restore-force' }, 'Beside the apps already here')), restore),
    h('p', { class: 'help' }, 'For a fresh server: every app of the archive comes back with its config, domains, add-on data, storage and a rebuilt release. '
      + 'The archive is checked whole first; a truncated or altered file changes nothing.'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = file.input.files?.[0];
    if (!f) return void status('Failed: choose the archive file first.');
    log.hidden = false;
    log.replaceChildren();
    act(restore, `Restoring from ${f.name}…`, () => restoreArchive(f, force.checked, log));
  });
  return [h('h2', {}, 'The whole server'),
    h('p', { class: 'help' }, 'One archive of this minicloud (apps, config, releases\u2019 sources, add-on data, storage, tokens, certificates), as '
      + '`minicloud backup` writes it. It holds every secret of the server: keep it as you keep passwords.'),
    h('div', { class: 'actions' }, download), form, log];
}

export function backupsPage() {
  const body = h('div', {}, h('p', { class: 'help' }, 'Loading…'));
  $('#view').replaceChildren(heading('Backups'), body);
  api('GET', '/me').then((me) => {
    if (me.role !== 'admin') return void body.replaceChildren(h('p', { class: 'help' }, 'Only an admin sets where backups go and backs up the whole server. Each app\u2019s backups are on its page.'));
    body.replaceChildren(...targetSection(), ...serverSection());
  }).catch((e) => body.replaceChildren(h('p', { class: 'error' }, e.message)));
}
