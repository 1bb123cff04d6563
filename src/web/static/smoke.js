// SmokePing-style history graphs with uPlot: median line coloured by loss, grey smoke of percentiles.
'use strict';

// SmokePing's loss colours (ratio of pings lost in a round or bucket)
const LOSS_CLASSES = [
  { max: 0, color: '#26ff00', label: '0' },
  { max: 0.01, color: '#00b8ff', label: '≤1%' },
  { max: 0.05, color: '#0059ff', label: '≤5%' },
  { max: 0.1, color: '#7e00ff', label: '≤10%' },
  { max: 0.25, color: '#ff00ff', label: '≤25%' },
  { max: 0.5, color: '#ff5500', label: '≤50%' },
  { max: 0.9999, color: '#ff0000', label: '<100%' },
  { max: 1, color: '#a00000', label: '100%' },
];
const lossClass = (r) => LOSS_CLASSES.findIndex((c) => r <= c.max + 1e-12);
function smokeData(s) {
  const x = s.ts;
  const toMs = (a) => a.map((v) => (v == null ? null : v * 1000));
  const loss = s.sent.map((n, i) => (n ? 1 - s.received[i] / n : null));
  const med = toMs(s.median);
  const classes = LOSS_CLASSES.map((_, k) =>
    med.map((v, i) => (loss[i] != null && lossClass(loss[i]) === k ? (v == null ? 0 : v) : null)),
  );
  // a fully lost round has no median: draw it on the axis in the 100% colour
  return {
    data: [
      x,
      toMs(s.min),
      toMs(s.p10),
      toMs(s.p25),
      toMs(s.p75),
      toMs(s.p90),
      toMs(s.max),
      ...classes,
    ],
    loss,
  };
}

// The SLA's RTT bound of a pair as the overview formats it ("< 70 ms"), in ms, or null.
const slaMs = (cell) => {
  const m = cell && cell.sla && cell.sla.rtt ? /([\d.]+) ms/.exec(cell.sla.rtt) : null;
  return m ? Number(m[1]) : null;
};

// What the cursor points at: median, loss and the percentiles of that round or bucket.
function readoutText(src, i) {
  if (i == null || src.ts[i] == null) return '';
  const loss = src.sent[i] ? 1 - src.received[i] / src.sent[i] : null;
  return (
    `${when(src.ts[i])} · median ${ms(src.median[i])} · loss ${pct(loss)} · p25–p75 ${ms(src.p25[i])}–${ms(src.p75[i])}` +
    ` · p10–p90 ${ms(src.p10[i])}–${ms(src.p90[i])} · min–max ${ms(src.min[i])}–${ms(src.max[i])}`
  );
}

// The plotted x range on the card, for people (zoomed or not) and for tests.
function showRange(u) {
  const card = u.root.closest('.graph');
  if (!card || u.scales.x.min == null) return;
  card.dataset.xMin = String(u.scales.x.min);
  card.dataset.xMax = String(u.scales.x.max);
  card.dataset.zoomed = u.zoomed ? '1' : '0';
}

// The x range is not pinned: uPlot fits it to the data (fresh data fills the plot), a drag zooms
// in and a double click zooms back out. An update keeps a zoomed range (see updateSmoke).
function smokePlot(el, series, width, sla, readout) {
  const { data, loss } = smokeData(series);
  const band = (a, b, alpha) => ({ series: [a, b], fill: `rgba(60,60,60,${alpha})` });
  const edge = (label) => ({ label, stroke: 'transparent', points: { show: false }, width: 0 });
  const opts = {
    width,
    height: 220,
    scales: {
      x: { time: true },
      y: {
        range: (_u, _min, max) => [
          0,
          Math.max((max || 0) * 1.1, sla != null && sla < 3 * (max || 0) ? sla * 1.1 : 0, 0.1),
        ],
      },
    },
    axes: [{}, { label: 'RTT (ms)', size: 56 }],
    series: [
      {},
      edge('min'),
      edge('p10'),
      edge('p25'),
      edge('p75'),
      edge('p90'),
      edge('max'),
      ...LOSS_CLASSES.map((c) => ({
        label: 'median, loss ' + c.label,
        stroke: c.color,
        width: 2,
        spanGaps: false,
        points: { show: true, size: 4, fill: c.color, stroke: c.color },
        show: true,
      })),
    ],
    bands: [band(6, 1, 0.1), band(5, 2, 0.18), band(4, 3, 0.28)],
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: true } },
    hooks: {
      setScale: [
        (u, key) => {
          if (key === 'x') showRange(u);
        },
      ],
      setCursor: [
        (u) => {
          readout.textContent = readoutText(u.src, u.cursor.idx) || readout.dataset.idle || '';
        },
      ],
      draw: [
        (u) => {
          if (u.sla == null) return;
          const y = Math.round(u.valToPos(u.sla, 'y', true));
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
          const c = u.ctx;
          c.save();
          c.strokeStyle = '#d6333a';
          c.lineWidth = 2 * devicePixelRatio;
          c.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          c.beginPath();
          c.moveTo(u.bbox.left, y);
          c.lineTo(u.bbox.left + u.bbox.width, y);
          c.stroke();
          c.fillStyle = '#d6333a';
          c.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          c.fillText(
            'SLA ' + u.sla + ' ms',
            u.bbox.left + 4 * devicePixelRatio,
            y - 4 * devicePixelRatio,
          );
          c.restore();
        },
      ],
    },
  };
  const u = new uPlot(opts, data, el);
  u.src = series;
  u.lossRatio = loss;
  u.sla = sla;
  trackZoom(u);
  u.over.addEventListener('dblclick', () => showRange(u));
  showRange(u);
  return u;
}

// New rounds without a rebuild: a zoomed plot keeps its x range, an unzoomed one refits to the data.
function updateSmoke(u, series, sla) {
  const { data, loss } = smokeData(series);
  u.src = series;
  u.lossRatio = loss;
  u.sla = sla;
  setDataKeepZoom(u, data);
  showRange(u);
}

const plotWidth = (card) => Math.max(240, card.clientWidth - 16);

async function loadGraphs() {
  const status = await api('/api/status');
  const sites = await api('/api/sites');
  if (!state.histSite) state.histSite = status.site;
  const sel = document.getElementById('hist-site');
  sel.replaceChildren(
    ...(sites.length ? sites : [status.site]).map((s) =>
      h('option', { value: s, selected: s === state.histSite }, s),
    ),
  );
  // grouped (many targets): the first page of this site's cells, never the whole matrix
  const site = encodeURIComponent(state.histSite);
  const ov = state.grouped
    ? await api(`/api/overview/cells?site=${site}&limit=24`)
    : await api('/api/overview');
  let cells = ov.cells.filter((c) => c.site === state.histSite);
  // a clicked pair beyond those 24 (the drill-down's later pages) gets its graph first
  const f = state.focus;
  if (
    state.grouped &&
    f &&
    f.site === state.histSite &&
    !cells.some((c) => c.target === f.target)
  ) {
    const hit = (
      await api(`/api/overview/cells?site=${site}&q=${encodeURIComponent(f.target)}&limit=1000`)
    ).cells.find((c) => c.target === f.target);
    if (hit) cells = [hit, ...cells.slice(0, 23)];
  }
  const targets = [...new Set(cells.map((c) => c.target))].slice(0, 24);
  // the same site, range and targets as on screen: update the plots in place
  const key = JSON.stringify([state.histSite, state.range, targets]);
  if (key !== state.smokeKey) {
    for (const p of state.smoke) p.u && p.u.destroy();
    state.smoke = [];
    state.smokeKey = key;
    if (!targets.length) {
      fill('graphs', empty('No latency data for this site yet.'));
      return;
    }
    state.smoke = targets.map((t) => {
      const body = h('div', { class: 'plot' });
      const info = h('span', { class: 'muted' });
      const readout = h(
        'div',
        {
          class: 'readout',
          'data-idle': 'hover for values · drag to zoom · double-click to zoom out',
        },
        'hover for values · drag to zoom · double-click to zoom out',
      );
      const card = h(
        'div',
        { class: 'graph', id: 'graph-' + t, 'data-target': t },
        h('h3', {}, `${state.histSite} → ${t.replace('@', ' via ')} `, info),
        body,
        readout,
      );
      return { target: t, card, body, info, readout, u: null };
    });
    fill('graphs', ...state.smoke.map((p) => p.card));
  }
  const to = Math.floor(Date.now() / 1000);
  const from = to - state.range;
  for (const p of state.smoke) {
    const s = await api(
      `/api/history?site=${encodeURIComponent(state.histSite)}&target=${encodeURIComponent(p.target)}&from=${from}&to=${to}`,
    );
    const sla = slaMs(cells.find((c) => c.target === p.target));
    if (!s.ts.length) {
      if (p.u) {
        p.u.destroy();
        p.u = null;
      }
      p.body.replaceChildren(empty('no data in this range'));
      p.info.textContent = '';
      continue;
    }
    const sent = s.sent.reduce((a, b) => a + b, 0);
    const rec = s.received.reduce((a, b) => a + b, 0);
    p.info.textContent =
      `${s.resolution} · ${s.ts.length} points · loss ${pct(sent ? 1 - rec / sent : null)}` +
      (sla != null ? ` · SLA < ${sla} ms` : '');
    if (p.u) updateSmoke(p.u, s, sla);
    else {
      p.body.replaceChildren();
      p.u = smokePlot(p.body, s, plotWidth(p.card), sla, p.readout);
    }
  }
}

// Plots follow the width of their card (a phone turned, a window resized).
window.addEventListener('resize', () => {
  for (const p of state.smoke) if (p.u) p.u.setSize({ width: plotWidth(p.card), height: 220 });
  for (const [id, p] of Object.entries(state.panels))
    p.u.setSize({
      width: Math.max(240, document.getElementById(id).clientWidth),
      height: p.u.height,
    });
});

function focusGraph(site, target) {
  state.histSite = site;
  state.focus = { site, target };
  loadGraphs()
    .then(() => {
      const g = document.getElementById('graph-' + target);
      if (g) g.scrollIntoView({ behavior: 'smooth' });
    })
    .catch(showError);
}
