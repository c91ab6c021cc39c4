// App page panel: small charts of the app's last hour, day or week (requests by status class, p50/p99 latency, CPU,
// memory), drawn as inline SVG from GET /api/apps/:app/metrics (what `minicloud metrics` prints); and the sparkline
// of the app list. No chart library.
import { api, h, svg } from './lib.js';

const MINUTE = 60_000;
/** The ranges offered: the slots shown and the minutes each covers (what the API combines them by). */
export const RANGES = {
  '1h': { slots: 60, step: 1, label: 'last hour', start: '\u221260 min' },
  '24h': { slots: 144, step: 10, label: 'last 24 hours', start: '\u221224 h' },
  '7d': { slots: 168, step: 60, label: 'last 7 days', start: '\u22127 d' },
};
let SPAN = 60; // slots shown
let R = RANGES['1h'];
const W = 320;
const H = 120;
const PAD = { left: 40, right: 6, top: 8, bottom: 18 };
// Each status class has a colour with at least 4.5:1 contrast on white, and a text label in the legend.
const CLASSES = [
  { key: '2xx', color: '#146c2e' }, { key: '3xx', color: '#0b57d0' }, { key: '4xx', color: '#9a4a00' }, { key: '5xx', color: '#a4161a' },
];

/** 1, 2 or 5 times a power of ten, at least `v` (the top of a chart's scale). */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((n) => n >= v);
}

const fmt = (n) => (n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

/** The frame: axes, two grid lines with their values, the time labels, and a title and description for screen readers. */
function frame(id, title, desc, max, unit) {
  desc = desc.replace('Last hour', R.label[0].toUpperCase() + R.label.slice(1));
  const y = (v) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const el = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, id, class: 'chart' },
    svg('title', { id: `${id}-t` }, title), svg('desc', { id: `${id}-d` }, desc));
  for (const v of [max, max / 2, 0]) {
    el.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' }));
    el.append(svg('text', { x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, `${fmt(v)}${unit}`));
  }
  el.append(svg('text', { x: PAD.left, y: H - 4, class: 'tick' }, R.start), svg('text', { x: W - PAD.right, y: H - 4, 'text-anchor': 'end', class: 'tick' }, 'now'));
  return { el, y };
}

/** Said inside an empty chart, so it does not read as a flat zero. */
const noData = (el) => el.append(svg('text', { x: (PAD.left + W - PAD.right) / 2, y: (PAD.top + H - PAD.bottom) / 2, 'text-anchor': 'middle', class: 'empty' }, `No data in the ${R.label}`));

const slotX = (i) => PAD.left + ((W - PAD.left - PAD.right) * i) / SPAN;
const clock = (t) => new Date(t).toLocaleString([], R.step >= 60 ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' });

/** The range's slots (oldest first: 60 minutes, or `n` periods of `step` minutes), each the period's point or null. */
export function slots(minutes, now = Date.now(), n = 60, step = 1) {
  const size = step * MINUTE;
  const end = Math.floor(now / size) * size;
  const byT = new Map(minutes.map((m) => [Math.floor(Date.parse(m.t) / size) * size, m]));
  return Array.from({ length: n }, (_, i) => {
    const t = end - (n - 1 - i) * size;
    return { t, m: byT.get(t) ?? null };
  });
}

/**
 * A small SVG of an app's requests (line) and 5xx (red bars) per slot, for the app list; its title says the
 * totals in words.
 */
export function sparkline(minutes, { now = Date.now(), n = 24, step = 60, label = 'last 24 hours' } = {}) {
  const data = slots(minutes, now, n, step);
  const w = 96;
  const ht = 20;
  const top = niceMax(Math.max(0, ...data.map((s) => s.m?.requests ?? 0)));
  const x = (i) => ((w - 2) * i) / (n - 1) + 1;
  const y = (v) => ht - 1 - ((ht - 2) * v) / top;
  const requests = data.reduce((a, s) => a + (s.m?.requests ?? 0), 0);
  const errors = data.reduce((a, s) => a + (s.m?.errors ?? 0), 0);
  const el = svg('svg', { viewBox: `0 0 ${w} ${ht}`, width: w, height: ht, role: 'img', class: 'sparkline', 'data-requests': requests, 'data-errors': errors },
    svg('title', {}, `${label}: ${requests} requests, ${errors} errors (5xx)`));
  data.forEach((s, i) => {
    if (s.m?.errors) el.append(svg('rect', { x: x(i) - 1, y: y(s.m.errors), width: 2, height: ht - 1 - y(s.m.errors), fill: '#a4161a', class: 'spark-errors' }));
  });
  const d = data.map((s, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)} ${y(s.m?.requests ?? 0).toFixed(1)}`).join(' ');
  el.append(svg('path', { d, fill: 'none', stroke: '#0b57d0', 'stroke-width': 1.2, class: 'spark-requests' }));
  return el;
}

function requestsChart(data) {
  const total = data.reduce((a, s) => a + (s.m?.requests ?? 0), 0);
  const max = niceMax(Math.max(0, ...data.map((s) => s.m?.requests ?? 0)));
  const perClass = CLASSES.map((c) => `${c.key} ${data.reduce((a, s) => a + (s.m?.statuses?.[c.key] ?? 0), 0)}`).join(', ');
  const { el, y } = frame('chart-requests', `Requests per ${R.step === 1 ? 'minute' : R.step === 60 ? 'hour' : `${R.step} minutes`} by status class`, `Last hour: ${total} requests (${perClass}).`, max, '');
  const bw = Math.max(1, (W - PAD.left - PAD.right) / SPAN - 1);
  data.forEach((s, i) => {
    if (!s.m?.requests) return;
    let top = 0;
    for (const c of CLASSES) {
      const n = s.m.statuses?.[c.key] ?? (c.key === '5xx' ? s.m.errors : 0);
      if (!n) continue;
      el.append(svg('rect', { x: slotX(i), y: y(top + n), width: bw, height: y(top) - y(top + n), fill: c.color, class: `col col-${c.key}` },
        svg('title', {}, `${clock(s.t)}: ${n} × ${c.key}`)));
      top += n;
    }
  });
  if (total === 0) noData(el);
  el.setAttribute('data-points', String(data.filter((s) => s.m?.requests).length));
  return figure(el, CLASSES.map((c) => [c.key, c.color]));
}

/** Lines through the minutes that have a value; a gap where a minute has none. */
function lineChart(id, title, unit, data, lines) {
  const values = lines.flatMap((l) => data.map((s) => (s.m ? l.value(s.m) : null)).filter((v) => v !== null && v !== undefined));
  const max = niceMax(Math.max(0, ...values));
  const latest = lines.map((l) => {
    const last = [...data].reverse().find((s) => s.m && l.value(s.m) !== null && l.value(s.m) !== undefined);
    return `${l.label} ${last ? `${fmt(l.value(last.m))}${unit}` : 'no data'}`;
  }).join(', ');
  const { el, y } = frame(id, title, `Last hour; latest minute: ${latest}.`, max, unit);
  const mid = (W - PAD.left - PAD.right) / SPAN / 2;
  for (const l of lines) {
    let d = '';
    let pen = false;
    data.forEach((s, i) => {
      const v = s.m ? l.value(s.m) : null;
      if (v === null || v === undefined) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${(slotX(i) + mid).toFixed(1)} ${y(v).toFixed(1)} `;
      pen = true;
      el.append(svg('circle', { cx: slotX(i) + mid, cy: y(v), r: 1.6, fill: l.color, class: 'point' }, svg('title', {}, `${clock(s.t)}: ${l.label} ${fmt(v)}${unit}`)));
    });
    if (d) el.append(svg('path', { d: d.trim(), fill: 'none', stroke: l.color, 'stroke-width': 1.5, class: `line line-${l.key}` }));
  }
  if (values.length === 0) noData(el);
  el.setAttribute('data-points', String(values.length));
  return figure(el, lines.map((l) => [l.label, l.color]));
}

function figure(chart, legend) {
  const title = chart.querySelector('title').textContent;
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title), chart,
    h('ul', { class: 'legend' }, legend.map(([label, color]) => h('li', {},
      svg('svg', { width: 10, height: 10, 'aria-hidden': 'true', class: 'swatch' }, svg('rect', { width: 10, height: 10, fill: color })), label))));
}

export function chartsPanel({ base, isStopped }) {
  const box = h('div', { class: 'charts', id: 'charts', 'aria-live': 'off' });
  const note = h('p', { class: 'help' }, 'Per minute (the last day per 10 minutes, the last week per hour): requests answered by the router, its latency, and the CPU and memory of the app\u2019s instances (sampled every 15 s). Kept 7 days.');
  const again = h('button', { type: 'button', class: 'secondary', id: 'charts-refresh' }, 'Refresh charts');
  again.addEventListener('click', () => void refresh().catch(() => {}));
  let range = '1h';
  const picker = h('select', { id: 'charts-range', 'aria-label': 'Period shown' },
    Object.entries(RANGES).map(([k, r]) => h('option', { value: k }, r.label[0].toUpperCase() + r.label.slice(1))));
  picker.addEventListener('change', () => { range = picker.value; void refresh().catch(() => {}); });
  let timer = null;
  const refresh = async () => {
    const want = range;
    const r = RANGES[want];
    const { minutes } = await api('GET', `${base}/metrics?range=${want}&step=${r.step}`);
    if (want !== range) return; // another range was picked meanwhile
    R = r;
    SPAN = r.slots;
    const data = slots(minutes, Date.now(), r.slots, r.step);
    box.replaceChildren(
      requestsChart(data),
      lineChart('chart-latency', 'Latency (ms)', ' ms', data, [
        { key: 'p50', label: 'p50', color: '#0b57d0', value: (m) => m.p50Ms },
        { key: 'p99', label: 'p99', color: '#a4161a', value: (m) => m.p99Ms ?? m.p95Ms },
      ]),
      lineChart('chart-cpu', 'CPU (% of one core)', '%', data, [{ key: 'cpu', label: 'CPU', color: '#146c2e', value: (m) => m.cpuPercent }]),
      lineChart('chart-memory', 'Memory (MB)', ' MB', data, [{ key: 'mem', label: 'memory', color: '#6b21a8', value: (m) => m.memoryMb }]),
    );
  };
  // Metrics move by the minute (and samples every 15 s): a look every 15 s is enough.
  const tick = async () => {
    await refresh().catch(() => {});
    if (!isStopped()) timer = setTimeout(tick, 15_000);
  };
  setTimeout(tick, 0);
  return { section: [h('h2', {}, 'Metrics'), note, h('div', { class: 'actions' }, picker, again), box], refresh, stop: () => clearTimeout(timer) };
}
