// App page, Settings tab: the deploy branch, sleep when idle, maintenance mode, router settings, resource limits, renaming and destroying
// (as apps:set, apps:sleep, maintenance:on/off, router:set, resources:set, apps:rename and apps:destroy do).
import { act, api, enc, field, h, outcome } from './lib.js';

/** Moves to another page and waits until it shows, so the outcome said afterwards is not wiped by the change. */
const go = (hash) => new Promise((resolve) => {
  addEventListener('hashchange', () => setTimeout(resolve), { once: true });
  location.hash = hash;
});

/** A form of fields and a submit button; `onSubmit` runs as an action of the button. */
function form(label, rows, submitText, help, onSubmit, cls = '') {
  const submit = h('button', { type: 'submit', class: cls || null }, submitText);
  const el = h('form', { class: 'card', 'aria-label': label }, h('div', { class: 'row' }, ...rows, submit), help ? h('p', { class: 'help' }, help) : null);
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(submit, `${submitText}…`, onSubmit);
  });
  return el;
}

const mib = (n) => (n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`);
const size = (n) => (n === 0 ? 'no limit' : n >= 1024 ** 2 ? `${Math.round(n / 1024 ** 2)} MB` : `${Math.round(n / 1024)} KB`);

export function settingsPanel({ name, base, refreshAll }) {
  // Sleep: minutes without a request, empty for never.
  const sleepState = h('p', { id: 'sleep-state', class: 'help' });
  const after = field('sleep-after', 'Sleep after (minutes idle; empty: never)', { type: 'number', min: '1', max: '10080', step: '1' });
  const sleepNow = h('button', { type: 'button', class: 'secondary' }, 'Sleep now');
  const sleepForm = form('Sleep when idle', [after.el], 'Save sleep setting', 'A sleeping app runs nothing; its next request wakes it (a few seconds).', async () => {
    const minutes = after.input.value.trim();
    await api('PUT', `${base}/sleep`, { afterSeconds: minutes === '' ? null : Number(minutes) * 60 });
    await refreshAll();
    return minutes === '' ? `${name} never sleeps.` : `${name} sleeps after ${minutes} min without requests.`;
  });
  sleepForm.querySelector('.row').append(sleepNow);
  sleepNow.addEventListener('click', () => act(sleepNow, 'Putting it to sleep…', async () => {
    await api('PUT', `${base}/sleep`, { now: true });
    await refreshAll();
    return `${name} is asleep; its next request (or Wake) wakes it.`;
  }));

  // Maintenance: one button that says what it will do.
  const maintState = h('p', { id: 'maintenance-state' });
  const maint = h('button', { type: 'button', class: 'secondary', id: 'maintenance-toggle' }, 'Turn maintenance on');
  let maintenanceOn = false;
  maint.addEventListener('click', () => act(maint, maintenanceOn ? 'Turning maintenance off…' : 'Turning maintenance on…', async () => {
    const on = !maintenanceOn;
    await api(on ? 'PUT' : 'DELETE', `${base}/maintenance`);
    await refreshAll();
    return on ? 'Maintenance is on: visitors get a 503 page.' : 'Maintenance is off: visitors get the app again.';
  }));

  // Router settings: empty fields mean the router's default.
  const routerState = h('p', { id: 'router-state', class: 'help' });
  const timeout = field('router-timeout', 'Timeout (seconds; empty: default)', { type: 'number', min: '1', step: '1' });
  const maxBody = field('router-max-body', 'Largest request body (e.g. 50m, 0: no limit; empty: default)', { placeholder: '50m' });
  const httpsOnly = h('input', { type: 'checkbox', id: 'router-https-only' });
  const httpsBox = h('div', { class: 'check' }, httpsOnly, h('label', { for: 'router-https-only' }, 'HTTPS only (plain HTTP gets a redirect)'));
  const routerForm = form('Router settings', [timeout.el, maxBody.el, httpsBox], 'Save router settings', 'Applied by the router at once; nothing restarts.', async () => {
    const r = await api('PUT', `${base}/router`, {
      timeout: timeout.input.value.trim() || 'default', 'max-body': maxBody.input.value.trim() || 'default', 'https-only': httpsOnly.checked,
    });
    fillRouter(r, true);
    return 'Router settings saved.';
  });

  // Resources: memory, CPU and processes; empty means the server's default.
  const resState = h('p', { id: 'resources-state', class: 'help' });
  const memory = field('resources-memory', 'Memory (e.g. 512M, 1G; empty: default)', { placeholder: '512M' });
  const cpu = field('resources-cpu', 'CPUs (e.g. 0.5; empty: default)', { placeholder: '0.5' });
  const pids = field('resources-pids', 'Processes (from 16; empty: default)', { type: 'number', min: '16', step: '1' });
  const resForm = form('Resource limits', [memory.el, cpu.el, pids.el], 'Save limits', 'A running app restarts with its new limits.', async () => {
    const r = await api('PUT', `${base}/resources`, {
      memory: memory.input.value.trim() || 'default', cpu: cpu.input.value.trim() || 'default', pids: pids.input.value.trim() || 'default',
    });
    fillResources(r, true);
    await refreshAll();
    return outcome(`Limits saved: memory ${mib(r.memoryMb)}, cpu ${r.cpu}, ${r.pids} processes`, r.deploy);
  });

  // The branch whose pushes deploy the app (apps:set branch=).
  const branch = field('deploy-branch', 'Deploy branch', { required: true, maxlength: '255' });
  const branchForm = form('Which branch deploys', [branch.el], 'Save branch', 'A git push of this branch deploys the app (main also takes master); a connected GitHub repository follows it too.', async () => {
    const a = await api('PATCH', base, { branch: branch.input.value.trim() });
    return `${name} deploys pushes of ${a.deployBranch}.`;
  });

  // Rename (admins) and destroy: both ask for the app's name typed out.
  const newName = field('rename-to', 'New name', { required: true, pattern: '[a-z][a-z0-9]*(-[a-z0-9]+)*', maxlength: '63' });
  const renameForm = form('Rename the app', [newName.el], 'Rename app', 'Its default URL and git remote move (update your remote); domains, add-ons, config, storage and releases stay.', async () => {
    const to = newName.input.value.trim();
    const a = await api('POST', `${base}/rename`, { name: to });
    await go(`#/apps/${a.name}/settings`);
    return `Renamed ${name} to ${a.name}. Its git remote is now ${a.gitUrl}.`;
  });
  const typed = field('destroy-confirm', `Type ${name} to confirm`, { required: true, autocomplete: 'off' });
  const destroyForm = form('Destroy the app', [typed.el], 'Destroy app', 'Stops it and deletes its releases, config, add-ons and their data, storage and logs. This cannot be undone.', async () => {
    if (typed.input.value.trim() !== name) throw new Error(`type ${name} exactly to destroy it`);
    await api('DELETE', `/apps/${enc(name)}?confirm=${enc(name)}`);
    await go('#/');
    return `Destroyed ${name}.`;
  }, 'danger');

  const fillRouter = (r, force) => {
    routerState.textContent = `Timeout ${r.timeoutSeconds ?? `${r.defaultTimeoutSeconds} s (default)`}${r.timeoutSeconds ? ' s' : ''}, `
      + `body limit ${r.maxBodyBytes === null ? `${size(r.defaultMaxBodyBytes)} (default)` : size(r.maxBodyBytes)}, HTTPS only ${r.httpsOnly ? 'on' : 'off'}.`;
    if (force || !routerForm.contains(document.activeElement)) {
      timeout.input.value = r.timeoutSeconds ?? '';
      maxBody.input.value = r.maxBodyBytes === null ? '' : String(r.maxBodyBytes);
      httpsOnly.checked = r.httpsOnly;
    }
  };
  const fillResources = (r, force) => {
    const not = (on) => (on ? '' : ' (not enforced on this server)');
    resState.textContent = `Memory ${mib(r.memoryMb)}${r.default ? ' (default)' : ''}${not(r.enforced)}, cpu ${r.cpu}${r.cpuDefault ? ' (default)' : ''}${not(r.cpuEnforced)}, `
      + `${r.pids} processes${r.pidsDefault ? ' (default)' : ''}${not(r.pidsEnforced)}.`;
    if (force || !resForm.contains(document.activeElement)) {
      memory.input.value = r.default ? '' : `${r.memoryMb}M`;
      cpu.input.value = r.cpuDefault ? '' : String(r.cpu);
      pids.input.value = r.pidsDefault ? '' : String(r.pids);
    }
  };

  const refresh = async () => {
    const [a, router, res] = await Promise.all([api('GET', base), api('GET', `${base}/router`), api('GET', `${base}/resources`)]);
    sleepState.textContent = `${a.state === 'sleeping' ? 'Asleep now. ' : ''}${a.sleepAfterSeconds ? `Sleeps after ${Math.round(a.sleepAfterSeconds / 60)} min without requests.` : 'Never sleeps.'}`;
    if (!sleepForm.contains(document.activeElement)) after.input.value = a.sleepAfterSeconds ? String(Math.round(a.sleepAfterSeconds / 60)) : '';
    sleepNow.disabled = a.state !== 'running' || !a.currentRelease;
    if (!branchForm.contains(document.activeElement)) branch.input.value = a.deployBranch;
    maintenanceOn = a.maintenance;
    maintState.textContent = a.maintenance ? 'On: visitors get a 503 page; the app keeps running.' : 'Off: visitors get the app.';
    maint.textContent = a.maintenance ? 'Turn maintenance off' : 'Turn maintenance on';
    fillRouter(router, false);
    fillResources(res, false);
  };

  // Renaming is an admin's (as apps:rename): not offered to anyone else.
  const renameBox = h('div', { hidden: true }, h('h2', {}, 'Rename'), renameForm);
  api('GET', '/me').then((me) => { renameBox.hidden = me.role !== 'admin'; }, () => {});

  return {
    section: [
      h('h2', {}, 'Deploy branch'), branchForm,
      h('h2', {}, 'Sleep'), sleepState, sleepForm,
      h('h2', {}, 'Maintenance'), maintState, h('div', { class: 'actions' }, maint),
      h('h2', {}, 'Router'), routerState, routerForm,
      h('h2', {}, 'Resources'), resState, resForm,
      renameBox,
      h('h2', {}, 'Destroy'), destroyForm,
    ],
    refresh,
  };
}
