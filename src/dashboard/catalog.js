// The catalog page (`#/catalog`): the apps minicloud installs in one step, what each needs, and a form per entry for
// its inputs (checked against the entry's patterns as the server checks them), whose install log streams into the page.
import { $, api, appendLog, enc, h, streamNdjson, view } from './lib.js';
import { heading } from './apps.js';

const APP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** What an entry needs, in a line: memory, add-ons, storage. */
const needs = (e) => [`${e.memoryMb} MiB of memory`, ...(e.addons ?? []).map((a) => `a ${a.kind} add-on`), ...(e.volumes ?? []).map((v) => `storage at ${v.path}`)].join(', ');

/** An input's pattern matched whole, as the server matches it (src/catalog: `^(?:pattern)$`, unicode). */
function matcher(pattern) {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return null;
  }
}

export async function catalogPage() {
  const list = h('div', { id: 'catalog-entries' }, h('p', { class: 'help' }, 'Loading…'));
  $('#view').replaceChildren(
    heading('Catalog'),
    h('p', { class: 'help' }, 'Apps installed in one step from the upstream\u2019s image at a pinned version. An installed app is an ordinary app: config, domains, backups, logs, metrics, rollback.'),
    list,
  );
  const ctl = new AbortController();
  view.stop = () => ctl.abort();
  try {
    const c = await api('GET', '/catalog');
    list.replaceChildren(
      ...c.entries.map((e) => entryCard(e, ctl.signal)),
      ...c.broken.map((b) => h('p', { class: 'error' }, `${b.file} is broken and cannot be installed: ${b.error}`)),
    );
    if (!c.entries.length) list.append(h('p', {}, 'The catalog is empty.'));
  } catch (e) {
    if (!ctl.signal.aborted) list.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load the catalog: ${e.message}`));
  }
}

function entryCard(e, signal) {
  const titleId = `catalog-${e.id}-title`;
  const links = Object.entries(e.links).map(([what, url]) => h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, what));
  return h('section', { class: 'card', id: `catalog-${e.id}`, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, `${e.name} ${e.version}`),
    h('p', {}, e.description),
    h('p', { class: 'help' }, `Needs ${needs(e)}. Image ${e.processes.web.image}. `, ...links.flatMap((a) => [a, ' '])),
    h('details', {}, h('summary', {}, `Install ${e.name}`), installForm(e, signal)));
}

/** The install form: the app's name and one field per input; a value that does not fit is named before any request. */
function installForm(e, signal) {
  const id = (k) => `install-${e.id}-${k}`;
  const name = h('input', { id: id('name'), name: 'name', required: true, maxlength: '63', autocomplete: 'off', spellcheck: 'false', value: e.id });
  const inputs = (e.inputs ?? []).map((i) => {
    const input = h('input', {
      id: id(i.key), name: i.key, type: i.secret ? 'password' : 'text', required: i.default === undefined, autocomplete: i.secret ? 'new-password' : 'off',
      spellcheck: 'false', placeholder: i.example, value: i.default, 'aria-describedby': id(`${i.key}-help`),
    });
    return { spec: i, input, el: h('div', {}, h('label', { for: id(i.key) }, i.key), input, h('p', { class: 'help', id: id(`${i.key}-help`) }, i.description)) };
  });
  const state = h('p', { id: id('state'), 'aria-live': 'polite' });
  const log = h('pre', { class: 'log', id: id('log'), role: 'log', tabindex: '0', 'aria-label': `Install log of ${e.name}`, hidden: true });
  const button = h('button', { type: 'submit' }, 'Install');
  const form = h('form', { novalidate: true },
    h('div', {}, h('label', { for: id('name') }, 'App name'), name, h('p', { class: 'help' }, 'Lowercase letters, digits and single dashes, starting with a letter.')),
    ...inputs.map((i) => i.el), button, state, log);
  const check = () => {
    name.setCustomValidity(APP_NAME.test(name.value) ? '' : 'Lowercase letters, digits and single dashes, starting with a letter.');
    for (const { spec, input } of inputs) {
      const re = matcher(spec.pattern);
      const fits = input.value === '' ? spec.default !== undefined : !re || re.test(input.value);
      input.setCustomValidity(fits ? '' : `${spec.key} must match ${spec.pattern}: ${spec.description}`);
    }
  };
  form.addEventListener('input', check);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    check();
    const bad = [name, ...inputs.map((i) => i.input)].find((i) => !i.checkValidity());
    if (bad) {
      state.className = 'error';
      state.textContent = bad.validationMessage;
      bad.focus();
      return;
    }
    const set = Object.fromEntries(inputs.filter((i) => i.input.value !== '').map((i) => [i.spec.key, i.input.value]));
    button.disabled = true;
    state.className = '';
    state.textContent = `Installing ${e.name} as ${name.value}…`;
    log.hidden = false;
    log.replaceChildren();
    const app = name.value;
    try {
      let end = null;
      await streamNdjson(`/catalog/${enc(e.id)}/apps`, signal, (event) => {
        if (event.type === 'line') appendLog(log, event.text);
        else if (event.type === 'end') end = event;
      }, { name: app, set });
      if (end?.status === 'succeeded') {
        for (const { input, spec } of inputs) if (spec.secret) input.value = '';
        state.className = 'ok';
        state.replaceChildren(`${e.name} is installed and running as ${app}. `, h('a', { href: `#/apps/${app}` }, `Open ${app}`));
      } else {
        state.className = 'error';
        // The app was made before its first release failed: it stays, for its logs to be read.
        state.replaceChildren(`The install failed${end?.error ? `: ${end.error}` : ''}. ${app} was made with its config, storage and add-ons: `,
          h('a', { href: `#/apps/${app}` }, `open ${app}`), ' to read its logs, and destroy it there to install again.');
      }
    } catch (err) {
      if (signal.aborted) return;
      state.className = 'error';
      state.textContent = `Could not install: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
