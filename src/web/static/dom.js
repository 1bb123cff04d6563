// hostops dashboard, shared helpers: DOM building, formatting, the API client.
// Every value from the API goes through textContent (mail senders are hostile input), never innerHTML.
'use strict';

const state = {
  site: null,
  range: 10800,
  histSite: null,
  panels: {},
  smoke: [],
  token: sessionStorage.getItem('hostops-token') || '',
};
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat())
    if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const fill = (id, ...kids) => {
  const el = document.getElementById(id);
  el.replaceChildren(...kids.filter((k) => k !== null && k !== undefined));
  return el;
};
const empty = (text) => h('p', { class: 'empty' }, text);
// adaptive digits: 0.04 ms stays 0.04 ms and 7 µs does not round to 0.00 ms
const ms = (s) =>
  s == null
    ? '–'
    : s * 1000 >= 100
      ? (s * 1000).toFixed(0) + ' ms'
      : s * 1000 >= 10
        ? (s * 1000).toFixed(1) + ' ms'
        : s * 1000 >= 0.01 || s === 0
          ? (s * 1000).toFixed(2) + ' ms'
          : Number((s * 1e6).toPrecision(2)) + ' µs';
const pct = (r) => (r == null ? '–' : (r * 100).toFixed(r < 0.1 && r > 0 ? 2 : 1) + '%');
const bytes = (b) => {
  if (b == null) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (b >= 1024 && i < 3) {
    b /= 1024;
    i++;
  }
  return b.toFixed(i ? 1 : 0) + ' ' + u[i];
};
const bits = (b) => {
  if (b == null) return '–';
  const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  while (b >= 1000 && i < 4) {
    b /= 1000;
    i++;
  }
  return b.toFixed(2) + ' ' + u[i];
};
const ago = (ts) => {
  if (!ts) return '–';
  const d = Date.now() / 1000 - ts;
  return d < 90
    ? Math.round(d) + ' s ago'
    : d < 5400
      ? Math.round(d / 60) + ' min ago'
      : d < 172800
        ? Math.round(d / 3600) + ' h ago'
        : Math.round(d / 86400) + ' d ago';
};
const when = (ts) => new Date(ts * 1000).toLocaleString();

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const res = await fetch(path, Object.assign({}, opts, { headers }));
  if (res.status === 401) {
    document.getElementById('auth').hidden = false;
    throw new Error('token required');
  }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function table(head, rows) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

// Drag-to-zoom bookkeeping shared by every plot: a drag marks the plot zoomed, a double click
// (uPlot's zoom out) clears it, and new data keeps a zoomed x range instead of refitting.
function trackZoom(u) {
  u.zoomed = false;
  u.hooks.setSelect = (u.hooks.setSelect || []).concat((p) => {
    if (p.select.width > 0) p.zoomed = true;
  });
  u.over.addEventListener('dblclick', () => {
    u.zoomed = false;
  });
  return u;
}
function setDataKeepZoom(u, data) {
  if (!u.zoomed) {
    u.setData(data);
    return;
  }
  const { min, max } = u.scales.x;
  u.setData(data, false);
  u.setScale('x', { min, max });
}

// One uPlot per panel element: updated in place while its series (key) stay the same, rebuilt when
// they change, removed with key null. The minute's refresh does not rebuild the plot.
function panelPlot(id, key, opts, data) {
  const el = document.getElementById(id);
  const cur = state.panels[id];
  if (cur && cur.key === key && key !== null && el.contains(cur.u.root)) {
    setDataKeepZoom(cur.u, data);
    return cur.u;
  }
  if (cur) {
    cur.u.destroy();
    delete state.panels[id];
  }
  if (key === null) return null;
  el.replaceChildren();
  const u = trackZoom(new uPlot(opts(el), data, el));
  state.panels[id] = { key, u };
  return u;
}
