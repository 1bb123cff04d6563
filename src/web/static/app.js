// hostops dashboard: plain DOM + uPlot. Every value from the API goes through textContent
// (mail senders and subjects are hostile input), never innerHTML.
'use strict';

const state = { site: null, range: 10800, histSite: null, plots: [], smoke: [], token: sessionStorage.getItem('hostops-token') || '' };

// SmokePing's loss colours (ratio of pings lost in a round or bucket)
const LOSS_CLASSES = [
  { max: 0, color: '#26ff00', label: '0' },
  { max: 0.01, color: '#00b8ff', label: '≤1%' },
  { max: 0.05, color: '#0059ff', label: '≤5%' },
  { max: 0.10, color: '#7e00ff', label: '≤10%' },
  { max: 0.25, color: '#ff00ff', label: '≤25%' },
  { max: 0.50, color: '#ff5500', label: '≤50%' },
  { max: 0.9999, color: '#ff0000', label: '<100%' },
  { max: 1, color: '#a00000', label: '100%' },
];
const lossClass = (r) => LOSS_CLASSES.findIndex((c) => r <= c.max + 1e-12);

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const fill = (id, ...kids) => { const el = document.getElementById(id); el.replaceChildren(...kids.filter((k) => k !== null && k !== undefined)); return el; };
const empty = (text) => h('p', { class: 'empty' }, text);
const ms = (s) => (s == null ? '–' : s * 1000 >= 100 ? (s * 1000).toFixed(0) + ' ms' : s * 1000 >= 10 ? (s * 1000).toFixed(1) + ' ms' : (s * 1000).toFixed(2) + ' ms');
const pct = (r) => (r == null ? '–' : (r * 100).toFixed(r < 0.1 && r > 0 ? 2 : 1) + '%');
const bytes = (b) => { if (b == null) return '–'; const u = ['B', 'KiB', 'MiB', 'GiB']; let i = 0; while (b >= 1024 && i < 3) { b /= 1024; i++; } return b.toFixed(i ? 1 : 0) + ' ' + u[i]; };
const bits = (b) => { if (b == null) return '–'; const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s']; let i = 0; while (b >= 1000 && i < 4) { b /= 1000; i++; } return b.toFixed(2) + ' ' + u[i]; };
const ago = (ts) => { if (!ts) return '–'; const d = Date.now() / 1000 - ts; return d < 90 ? Math.round(d) + ' s ago' : d < 5400 ? Math.round(d / 60) + ' min ago' : d < 172800 ? Math.round(d / 3600) + ' h ago' : Math.round(d / 86400) + ' d ago'; };
const when = (ts) => new Date(ts * 1000).toLocaleString();

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const res = await fetch(path, Object.assign({}, opts, { headers }));
  if (res.status === 401) { document.getElementById('auth').hidden = false; throw new Error('token required'); }
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function table(head, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

// ---------------------------------------------------------------- overview matrix
async function loadOverview() {
  const ov = await api('/api/overview');
  if (!ov.cells.length) { fill('matrix', empty('No measurements yet: the first round of pings lands within a minute of start.')); return; }
  const bySite = new Map();
  for (const c of ov.cells) { if (!bySite.has(c.site)) bySite.set(c.site, new Map()); bySite.get(c.site).set(c.target, c); }
  const rows = ov.sites.map((site) => h('tr', {}, h('td', { class: 'rowhead' }, h('b', {}, site)), ov.targets.map((t) => {
    const c = bySite.get(site).get(t);
    if (!c) return h('td', { class: 'cell nosla' }, h('span', { class: 'sub' }, 'not measured'));
    const cls = c.ok === null ? 'nosla' : c.ok ? 'ok' : 'bad';
    const sla = c.sla ? [c.sla.rtt, c.sla.loss].filter(Boolean).join(', ') : 'no SLA';
    return h('td', { class: 'cell ' + cls, 'data-site': site, 'data-target': t, title: `${site} → ${t}`, onclick: () => focusGraph(site, t) },
      h('div', { class: 'rtt' }, ms(c.median)),
      h('div', { class: 'sub' }, 'loss ' + pct(c.loss)),
      h('div', { class: 'sub' }, c.compliance == null ? sla : `SLA ${sla}: ${pct(c.compliance)}`));
  })));
  fill('matrix', h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'site \\ target'), ov.targets.map((t) => h('th', {}, t)))), h('tbody', {}, rows)));
}

// ---------------------------------------------------------------- smoke graphs
function smokeData(s) {
  const x = s.ts;
  const toMs = (a) => a.map((v) => (v == null ? null : v * 1000));
  const loss = s.sent.map((n, i) => (n ? 1 - s.received[i] / n : null));
  const med = toMs(s.median);
  const classes = LOSS_CLASSES.map((_, k) => med.map((v, i) => (loss[i] != null && lossClass(loss[i]) === k ? (v == null ? 0 : v) : null)));
  // a fully lost round has no median: draw it on the axis in the 100% colour
  return { data: [x, toMs(s.min), toMs(s.p10), toMs(s.p25), toMs(s.p75), toMs(s.p90), toMs(s.max), ...classes], loss };
}

function smokePlot(el, series, width, from, to) {
  const { data, loss } = smokeData(series);
  const band = (a, b, alpha) => ({ series: [a, b], fill: `rgba(60,60,60,${alpha})` });
  const edge = (label) => ({ label, stroke: 'transparent', points: { show: false }, width: 0 });
  const opts = {
    width, height: 220,
    scales: { x: { time: true, range: () => [from, to] }, y: { range: (u, min, max) => [0, Math.max(max * 1.1, 0.1)] } },
    axes: [{}, { label: 'RTT (ms)', size: 56 }],
    series: [{}, edge('min'), edge('p10'), edge('p25'), edge('p75'), edge('p90'), edge('max'),
      ...LOSS_CLASSES.map((c, k) => ({ label: 'median, loss ' + c.label, stroke: c.color, width: 2, spanGaps: false, points: { show: true, size: 4, fill: c.color, stroke: c.color }, show: true }))],
    bands: [band(6, 1, 0.10), band(5, 2, 0.18), band(4, 3, 0.28)],
    legend: { show: false },
    cursor: { drag: { x: true, y: false } },
  };
  const u = new uPlot(opts, data, el);
  u.lossRatio = loss;
  return u;
}

async function loadGraphs() {
  for (const p of state.smoke) p.destroy();
  state.smoke = [];
  const status = await api('/api/status');
  const sites = await api('/api/sites');
  if (!state.histSite) state.histSite = status.site;
  const sel = document.getElementById('hist-site');
  sel.replaceChildren(...(sites.length ? sites : [status.site]).map((s) => h('option', { value: s, selected: s === state.histSite }, s)));
  const ov = await api('/api/overview');
  const targets = [...new Set(ov.cells.filter((c) => c.site === state.histSite).map((c) => c.target))];
  if (!targets.length) { fill('graphs', empty('No latency data for this site yet.')); return; }
  const to = Date.now() / 1000; const from = to - state.range;
  const cards = [];
  for (const t of targets.slice(0, 24)) {
    const body = h('div', { class: 'plot' });
    const info = h('span', { class: 'muted' });
    const card = h('div', { class: 'graph', id: 'graph-' + t, 'data-target': t }, h('h3', {}, `${state.histSite} → ${t} `, info), body);
    cards.push(card);
    fill('graphs', ...cards);
    const s = await api(`/api/history?site=${encodeURIComponent(state.histSite)}&target=${encodeURIComponent(t)}&from=${from}&to=${to}`);
    if (!s.ts.length) { body.append(empty('no data in this range')); continue; }
    const sent = s.sent.reduce((a, b) => a + b, 0); const rec = s.received.reduce((a, b) => a + b, 0);
    info.textContent = `${s.resolution} · ${s.ts.length} points · loss ${pct(sent ? 1 - rec / sent : null)}`;
    state.smoke.push(smokePlot(body, s, Math.max(480, card.clientWidth - 16), from, to));
  }
}

function focusGraph(site, target) {
  state.histSite = site;
  loadGraphs().then(() => { const g = document.getElementById('graph-' + target); if (g) g.scrollIntoView({ behavior: 'smooth' }); }).catch(showError);
}

// ---------------------------------------------------------------- paths, throughput
async function loadPaths() {
  const paths = await api('/api/paths');
  if (!paths.length) { fill('path-list', empty('No path recorded yet.')); return; }
  fill('path-list', ...paths.map((p) => h('div', {},
    h('h3', {}, `${p.site} → ${p.target} `, h('small', { class: 'muted' }, ago(p.ts))),
    p.error ? h('p', { class: 'pill bad' }, p.error)
      : table(['hop', 'host', 'loss', 'sent', 'avg', 'best', 'worst'], p.hops.map((x) => [x.ttl, x.hosts.length ? x.hosts.join(', ') : '???', pct(x.loss), x.sent, ms(x.avg), ms(x.best), ms(x.worst)])))));
}

async function loadThroughput() {
  const recs = await api('/api/throughput');
  if (!recs.length) { fill('tput-graph', empty('No iperf3 tests yet: list peer sites under iperf.peers in hostops.yaml.')); fill('tput-table'); return; }
  const keys = [...new Set(recs.map((r) => `${r.site}→${r.peer} ${r.protocol} ${r.direction}`))];
  const xs = [...new Set(recs.map((r) => r.ts))].sort((a, b) => a - b);
  const cols = keys.map((k) => xs.map((x) => { const r = recs.find((q) => q.ts === x && `${q.site}→${q.peer} ${q.protocol} ${q.direction}` === k); return r && r.bitsPerSecond != null ? r.bitsPerSecond / 1e6 : null; }));
  const el = fill('tput-graph');
  const palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b'];
  state.plots.push(new uPlot({ width: Math.max(480, el.clientWidth), height: 220, scales: { x: { time: true } }, axes: [{}, { label: 'Mbit/s', size: 70 }],
    series: [{}, ...keys.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2, spanGaps: true, points: { show: true, size: 5 } }))] }, [xs, ...cols], el));
  fill('tput-table', table(['when', 'site → peer', 'protocol', 'direction', 'throughput', 'retransmits', 'jitter', 'loss', 'error'],
    recs.slice(-20).reverse().map((r) => [when(r.ts), `${r.site} → ${r.peer}`, r.protocol, r.direction, bits(r.bitsPerSecond), r.retransmits ?? '–', r.jitter == null ? '–' : ms(r.jitter), r.lostRatio == null ? '–' : pct(r.lostRatio), r.error || ''])));
}

// ---------------------------------------------------------------- mail queue
async function removeMail(id) {
  if (!state.token) { document.getElementById('auth').hidden = false; alert('Removing mail needs the agent token.'); return; }
  if (!confirm(`Remove message ${id} from the queue?`)) return;
  const { csrf } = await api('/api/csrf');
  const res = await api('/api/mailq/remove', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ ids: [id] }) });
  alert(res.failed.length ? 'failed: ' + res.failed.map((f) => f.error).join('; ') : 'removed ' + res.removed.join(', '));
  loadMailq().catch(showError);
}

async function loadMailq() {
  const mq = await api('/api/mailq');
  if (!mq.enabled && !mq.latest) { fill('mailq-summary', empty('No local Exim queue on this host.')); return; }
  const l = mq.latest;
  if (!l) { fill('mailq-summary', empty('No sample yet.')); return; }
  fill('mailq-summary', h('p', {}, h('b', {}, l.messages), ' messages, ', h('b', {}, l.frozen), ' frozen, ', bytes(l.bytes),
    ', oldest ', l.oldestAge == null ? '–' : Math.round(l.oldestAge / 60) + ' min', h('small', { class: 'muted' }, ' · sampled ' + ago(l.ts))));
  const el = fill('mailq-graph');
  if (mq.history.length > 1) {
    state.plots.push(new uPlot({ width: Math.max(480, el.clientWidth), height: 180, scales: { x: { time: true } }, axes: [{}, { label: 'messages', size: 60 }],
      series: [{}, { label: 'queued', stroke: '#2b6cb0', width: 2 }, { label: 'frozen', stroke: '#d6333a', width: 2 }] },
    [mq.history.map((x) => x.ts), mq.history.map((x) => x.messages), mq.history.map((x) => x.frozen)], el));
  }
  const s = l.summary || {};
  fill('mailq-senders', (s.topSenders || []).length ? table(['sender', 'messages', 'size'], s.topSenders.map((x) => [x.sender, x.messages, bytes(x.bytes)])) : empty('none'));
  fill('mailq-domains', (s.topDomains || []).length ? table(['domain', 'messages'], s.topDomains.map((x) => [x.domain, x.messages])) : empty('none'));
  const srcs = await api('/api/checks/mailq-sources');
  const src = srcs.length ? srcs[0].data : null;
  fill('mailq-sources', src && src.error ? h('p', { class: 'pill warn' }, src.error)
    : src && Array.isArray(src.top) && src.top.length ? table(['source', 'kind', 'messages', 'queued'], src.top.map((x) => [x.source, x.kind, x.messages, x.queued ?? '–']))
    : empty(src ? (src.note || 'no sending source stands out') : 'no mainlog report yet'));
  fill('mailq-frozen', (s.frozenIds || []).length ? table(['message id', ''], s.frozenIds.map((id) => [id, h('button', { onclick: () => removeMail(id).catch(showError) }, 'remove')])) : empty('no frozen messages'));
}

// ---------------------------------------------------------------- exposure, capacity, status
async function loadExposure() {
  const amp = await api('/api/checks/amp');
  fill('amp-table', amp.length ? table(['target', 'verdict', 'worst factor', 'modes', 'checked', 'fix'], amp.map((c) => [c.target,
    h('span', { class: 'pill ' + (c.ok ? 'ok' : 'bad') }, c.data && c.data.verdict || (c.ok ? 'not exposed' : 'exposed')),
    c.value == null ? '–' : c.value.toFixed(2) + '×',
    (c.data && c.data.modes || []).map((m) => `${m.mode}: ${m.returnedBytes}/${m.sentBytes} B`).join(', '), ago(c.ts), c.data && c.data.fix || ''])) : empty('No amplification check yet.'));
  const ntp = await api('/api/checks/ntp');
  fill('ntp-table', ntp.length ? table(['NTP server', 'state', 'offset', 'delay', 'stratum', 'checked'], ntp.map((c) => [c.target,
    h('span', { class: 'pill ' + (c.ok ? 'ok' : 'warn') }, c.ok ? 'answering' : (c.data && c.data.error) || 'not answering'),
    c.data && c.data.offset != null ? ms(c.data.offset) : '–', c.data && c.data.delay != null ? ms(c.data.delay) : '–', c.data && c.data.stratum != null ? c.data.stratum : '–', ago(c.ts)])) : empty('No NTP self-check yet.'));
}

async function loadCapacity() {
  const cap = await api('/api/checks/capacity');
  fill('capacity-table', cap.length ? table(['site → peer', 'tests (30 d)', 'p10', 'median', 'p90', 'link', 'headroom', 'note'], cap.map((c) => [`${c.site} → ${c.target}`,
    c.data.samples, bits(c.data.p10), bits(c.data.median), bits(c.data.p90), bits(c.data.linkBitsPerSecond),
    c.value == null ? '–' : h('span', { class: 'pill ' + (c.ok ? 'ok' : 'bad') }, pct(c.value)), c.data.note])) : empty('No capacity report yet: it needs iperf3 tests between sites.'));
  const con = await api('/api/checks/contention');
  fill('contention-table', ...con.map((c) => h('div', {},
    h('h3', {}, `Contention: ${c.target} `, h('small', { class: 'muted' }, (c.data.mode || '') + ' · ' + ago(c.ts))),
    c.data.error ? h('p', { class: 'pill bad' }, c.data.error) : table(['tier', 'kind', 'capacity', 'customers', 'oversubscription', 'end to end', 'fair share', 'P(over capacity)'],
      c.data.nominal.map((n) => { const m = (c.data.model || []).find((x) => x.id === n.id);
        return [n.id, n.kind, bits(n.capacity), n.customers, n.ratio.toFixed(1) + ':1', n.endToEnd.toFixed(1) + ':1', bits(n.fairShare),
          m ? h('span', { class: 'pill ' + (m.pOver < 0.01 ? 'ok' : 'bad') }, (m.pOver * 100).toPrecision(2) + '%') : '–']; })))));
}

async function loadStatus() {
  const st = await api('/api/status');
  state.site = st.site;
  document.getElementById('site').textContent = `site ${st.site} · ${st.store}`;
  fill('status-body',
    st.notes.length ? h('ul', {}, st.notes.map((n) => h('li', {}, n))) : null,
    h('p', {}, 'Probes: ', Object.entries(st.probes).map(([k, v]) => `${k}=${v}`).join(', '), st.spool ? ` · spool ${st.spool.rows} rows${st.spool.lastError ? ' (database: ' + st.spool.lastError + ')' : ''}` : ''),
    table(['job', 'every', 'last run', 'next run', 'failures', 'last error'], st.jobs.map((j) => [j.job + (j.running ? ' (running)' : ''), j.interval + ' s', j.lastRun ? ago(j.lastRun) : 'not yet', j.nextRun ? when(j.nextRun) : '–', j.failures, j.lastError || ''])));
}

function showError(e) { console.error(e); document.getElementById('updated').textContent = 'error: ' + e.message; }

async function refresh() {
  const steps = [loadStatus, loadOverview, loadGraphs, loadPaths, loadThroughput, loadMailq, loadExposure, loadCapacity];
  for (const p of state.plots.splice(0)) p.destroy();
  for (const step of steps) { try { await step(); } catch (e) { showError(e); } }
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.body.dataset.ready = '1';
}

document.getElementById('loss-legend').replaceChildren(h('span', { class: 'muted' }, 'median colour = loss:'),
  ...LOSS_CLASSES.map((c) => h('span', {}, h('i', { style: 'background:' + c.color }), c.label)),
  h('span', { class: 'muted' }, ' · grey smoke = min–max, p10–p90, p25–p75'));
document.getElementById('range').addEventListener('change', (e) => { state.range = Number(e.target.value); loadGraphs().catch(showError); });
document.getElementById('hist-site').addEventListener('change', (e) => { state.histSite = e.target.value; loadGraphs().catch(showError); });
document.getElementById('token-save').addEventListener('click', () => {
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('hostops-token', state.token);
  document.getElementById('auth').hidden = true;
  refresh();
});
refresh();
setInterval(refresh, 60_000);
