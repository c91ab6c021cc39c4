// App page panels: custom domains (with certificate state when the server reports it), add-ons and storage volumes.
import { act, api, emptyRow, enc, field, h, outcome, table, when } from './lib.js';
import { showAddonInfo } from './addon-info.js';

/** A small form: fields in a row, a submit button, a help line; `onSubmit` runs as an action of the button. */
function form(label, fields, button, help, onSubmit) {
  const submit = h('button', { type: 'submit' }, button);
  const el = h('form', { class: 'card', 'aria-label': label }, h('div', { class: 'row' }, ...fields.map((f) => f.el), submit), help ? h('p', { class: 'help' }, help) : null);
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(submit, `${button}…`, onSubmit);
  });
  return el;
}

const button = (text, label, onclick, cls = 'secondary') => h('button', { type: 'button', class: cls, 'aria-label': label, onclick }, text);

/** `valid, Let's Encrypt, until 2027-01-01` and the like, from GET /certs' entry for a domain. */
function certText(c) {
  if (!c) return 'none yet';
  const until = c.notAfter ? `, until ${new Date(c.notAfter).toLocaleDateString()}` : '';
  const why = c.lastError ? ` (${c.lastError})` : c.reason ? ` (${c.reason})` : '';
  return `${c.status}${c.issuer && c.status !== 'self-signed' ? `, ${c.issuer}` : ''}${until}${why}`;
}

export function domainsPanel({ name, base }) {
  const tbody = h('tbody');
  const head = h('thead');
  const domain = field('domain-name', 'Domain', { required: true, placeholder: 'www.example.com', 'aria-describedby': 'domain-help' });
  const refresh = async () => {
    // The certificate column shows only when the server answers GET /certs (older servers have none).
    const [list, certs] = await Promise.all([api('GET', `${base}/domains`), api('GET', `${base}/certs`).catch(() => null)]);
    const byDomain = new Map((certs?.domains ?? []).map((c) => [c.domain, c]));
    const cols = ['Domain', ...(certs ? ['Certificate'] : []), ''];
    head.replaceChildren(h('tr', {}, cols.map((t) => h('th', { scope: 'col' }, t))));
    tbody.replaceChildren(...list.map((d) => h('tr', {},
      h('td', {}, d.domain, d.default ? ' ' : '', d.default ? h('span', { class: 'badge' }, 'default') : ''),
      certs ? h('td', { class: 'cert' }, certText(byDomain.get(d.domain))) : null,
      h('td', {}, h('div', { class: 'actions' },
        // Renewal is offered only for a name the CA can be asked for (ACME on, not localhost, not a wildcard…).
        certs?.acme?.enabled && byDomain.get(d.domain) && !byDomain.get(d.domain).reason ? button('Renew certificate', `Renew the certificate of ${d.domain}`, (ev) => act(ev.currentTarget, `Renewing the certificate of ${d.domain}…`, async () => {
          const r = await api('POST', `${base}/certs/renew`, { domain: d.domain });
          await refresh();
          return `Certificate of ${d.domain}: ${certText(r.domains.find((c) => c.domain === d.domain))}.`;
        })) : null,
        d.default ? null : button('Remove', `Remove ${d.domain}`, (ev) => act(ev.currentTarget, `Removing ${d.domain}…`, async () => {
          await api('DELETE', `${base}/domains/${enc(d.domain)}`);
          await refresh();
          return `Removed ${d.domain}.`;
        })))),
    )));
  };
  const add = form('Add a domain', [domain], 'Add domain', null, async () => {
    const r = await api('POST', `${base}/domains`, { domain: domain.input.value.trim() });
    domain.input.value = '';
    await refresh();
    return r.added ? `Added ${r.domain}: point its DNS (CNAME ${r.cnameTarget}, or an A record) at this server.` : `${r.domain} was there already.`;
  });
  add.append(h('p', { class: 'help', id: 'domain-help' }, `A domain serves ${name} once its DNS points here; *.example.com covers one level of subdomains.`));
  return { section: [h('h2', {}, 'Domains & certificates'), h('table', { id: 'domains' }, head, tbody), add], refresh };
}

const ADDON_KINDS = ['postgres', 'mariadb', 'redis', 'rabbitmq'];

export function addonsPanel({ name, base, refreshAll }) {
  const tbody = h('tbody');
  const details = h('div', { id: 'addon-info' });
  const kind = field('addon-kind', 'Add-on', { tag: 'select', autocomplete: undefined, spellcheck: undefined });
  kind.input.append(...ADDON_KINDS.map((k) => h('option', { value: k }, k)));
  const refresh = async () => {
    const list = await api('GET', `${base}/addons`);
    if (!list.some((a) => a.kind === details.dataset.kind)) details.replaceChildren(); // detached meanwhile
    tbody.replaceChildren(...(list.length ? list.map((a) => h('tr', {},
      h('td', {}, a.kind), h('td', {}, h('code', {}, a.name)), h('td', {}, a.envKeys.map((k) => h('code', {}, k, ' '))), h('td', {}, when(a.createdAt)),
      h('td', {}, h('div', { class: 'actions' }, button('Details', `Details of ${a.kind}`, (ev) => act(ev.currentTarget, `Asking the ${a.kind} server…`, () => showAddonInfo(details, base, a.kind))),
        button('Detach', `Detach ${a.kind}`, (ev) => {
        if (!confirm(`Detach ${a.kind} from ${name}? Its ${a.kind === 'redis' || a.kind === 'rabbitmq' ? 'data' : 'database'} is deleted.`)) return;
        void act(ev.currentTarget, `Detaching ${a.kind}…`, async () => {
          const { deploy } = await api('DELETE', `${base}/addons/${enc(a.kind)}?confirm=${enc(name)}`);
          await refreshAll();
          return outcome(`Detached ${a.kind}`, deploy);
        });
      }, 'danger'))),
    )) : [emptyRow(5, 'No add-ons.')]));
  };
  const add = form('Attach an add-on', [kind], 'Attach add-on', 'Creates a database, vhost or user on the shared server and sets its URL as a config var (the app restarts).', async () => {
    const { addon, deploy } = await api('POST', `${base}/addons`, { kind: kind.input.value });
    await refreshAll();
    return outcome(`Attached ${addon.kind} (${addon.envKeys.join(', ')})`, deploy);
  });
  return { section: [h('h2', {}, 'Add-ons'), table(['Kind', 'Name', 'Config vars', 'Created', ''], tbody, { id: 'addons' }), details, add], refresh };
}

export function storagePanel({ base, refreshAll }) {
  const tbody = h('tbody');
  const path = field('storage-path', 'Mount path', { required: true, placeholder: '/data', pattern: '/.*' });
  const refresh = async () => {
    const list = await api('GET', `${base}/storage`);
    tbody.replaceChildren(...(list.length ? list.map((v) => h('tr', {},
      h('td', {}, h('code', {}, v.path)), h('td', {}, v.hostDir ? h('code', {}, v.hostDir) : '-'), h('td', {}, when(v.createdAt)),
      h('td', {}, button('Remove', `Remove storage ${v.path}`, (ev) => act(ev.currentTarget, `Removing ${v.path}…`, async () => {
        const r = await api('DELETE', `${base}/storage?path=${enc(v.path)}`);
        await refreshAll();
        return outcome(`Removed ${v.path}${r.keptAt ? ` (its files stay in ${r.keptAt})` : ''}`, r.deploy);
      }))),
    )) : [emptyRow(4, 'No storage.')]));
  };
  const add = form('Add storage', [path], 'Add storage', 'A directory kept across deploys, restarts and rollbacks (the app restarts).', async () => {
    const r = await api('POST', `${base}/storage`, { path: path.input.value.trim() });
    path.input.value = '';
    await refreshAll();
    return outcome(`Added storage at ${r.volume?.path ?? 'the path'}`, r.deploy);
  });
  return { section: [h('h2', {}, 'Storage'), table(['Path', 'On the server', 'Created', ''], tbody, { id: 'storage' }), add], refresh };
}
