// SmokePing-style history graphs with uPlot: median line coloured by loss, grey smoke of percentiles.
'use strict';

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
