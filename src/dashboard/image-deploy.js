// App page panel: deploy a published image by reference (POST /api/apps/:app/deploys, as `minicloud deploy --image`),
// its deploy log streamed into the page as it runs.
import { appendLog, field, h, streamNdjson } from './lib.js';

export function imageDeployPanel({ base, refreshAll, isStopped }) {
  const image = field('image-ref', 'Image reference', { required: true, placeholder: 'ghcr.io/me/app:1.2', 'aria-describedby': 'image-help' });
  const user = field('image-registry-user', 'Registry user');
  const password = field('image-registry-password', 'Registry password', { type: 'password' });
  const server = field('image-registry-server', 'Registry server (optional)', { placeholder: 'ghcr.io' });
  const submit = h('button', { type: 'submit' }, 'Deploy image');
  const state = h('p', { id: 'image-state', class: 'help', role: 'status', 'aria-live': 'polite' });
  const log = h('pre', { class: 'log', id: 'image-log', role: 'log', tabindex: '0', 'aria-label': 'Image deploy log', hidden: true });
  const form = h('form', { class: 'card', 'aria-labelledby': 'image-title' },
    h('div', { class: 'row' }, image.el, submit),
    h('p', { class: 'help', id: 'image-help' }, 'The image is pulled, its cloud_manifest.yml read, and it is released like a build: '
      + 'health-checked, and rolled back from Releases. Its web process listens on $PORT (or the manifest\u2019s expose.port). Needs the Docker runtime.'),
    h('details', {}, h('summary', {}, 'Private registry'),
      h('div', { class: 'row' }, user.el, password.el, server.el),
      h('p', { class: 'help' }, 'Sent with this deploy only; minicloud does not keep them.')),
    state, log);
  let ctl = null;

  const finish = (e) => {
    state.className = e.status === 'succeeded' ? 'ok' : 'error';
    state.textContent = e.status === 'succeeded'
      ? `Deploy succeeded${e.release ? `: v${e.release} is live` : ''}.`
      : `Deploy failed${e.error ? `: ${e.error}` : ''}.`;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ref = image.input.value.trim();
    const u = user.input.value.trim();
    if ((u === '') !== (password.input.value === '')) {
      state.className = 'error';
      state.textContent = 'Registry credentials need both a user and a password.';
      return;
    }
    const registry = u ? { username: u, password: password.input.value, ...(server.input.value.trim() ? { server: server.input.value.trim() } : {}) } : undefined;
    ctl?.abort();
    const mine = new AbortController();
    ctl = mine;
    submit.disabled = true;
    log.hidden = false;
    log.replaceChildren();
    state.className = 'help';
    state.textContent = `Deploying ${ref}…`;
    let ended = false;
    try {
      await streamNdjson(`${base}/deploys`, mine.signal, (e) => {
        if (e.type === 'line') appendLog(log, e.text);
        else if (e.type === 'end') {
          ended = true;
          finish(e);
        }
      }, { image: ref, ...(registry && { registry }) });
      password.input.value = '';
      if (!ended) {
        state.className = 'error';
        state.textContent = 'The deploy log ended before the deploy did; see Releases for how it went.';
      }
    } catch (e) {
      if (mine.signal.aborted) return;
      state.className = 'error';
      state.textContent = ended ? state.textContent : `Could not deploy ${ref}: ${e.message}`;
    } finally {
      if (ctl === mine) submit.disabled = false;
    }
    if (!isStopped()) await refreshAll();
  });

  return {
    section: [h('h2', { id: 'image-title' }, 'Deploy an image'), form],
    stop: () => ctl?.abort(),
  };
}
