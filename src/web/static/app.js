// hostops dashboard: the overview matrix, the refresh loop and the controls.
'use strict';

/** Only the implicit targets (no config names any): say what is probed and how to add targets. */
async function loadSetupNote() {
  const st = await api('/api/status');
  const implicit = st.targets.every((t) => t.name === 'localhost' || t.name === 'gateway');
  document.getElementById('setup-note').hidden = !implicit;
  document.getElementById('setup-probes').textContent = implicit
    ? 'Now probing: ' + st.targets.map((t) => `${t.name} (${t.host})`).join(', ') + '.'
    : '';
}

async function loadOverview() {
  if (await useGroupedView()) return loadGrouped();
  document.getElementById('groups').hidden = true;
  const ov = await api('/api/overview');
  if (!ov.cells.length) {
    fill(
      'matrix',
      empty('No measurements yet: the first round of pings lands within a minute of start.'),
    );
    return;
  }
  fill('matrix', pairTable(ov.sites, ov.targets, ov.cells, ov.generatedAt));
}

/** The site x target table of the overview; the grouped view's drill-down draws its pages with it. */
function pairTable(sites, targets, cells, now) {
  const bySite = new Map(sites.map((s) => [s, new Map()]));
  for (const c of cells) bySite.get(c.site)?.set(c.target, c);
  const rows = sites.map((site) =>
    h(
      'tr',
      {},
      h('td', { class: 'rowhead' }, h('b', {}, site)),
      targets.map((t) => pairCell(site, t, bySite.get(site).get(t), now)),
    ),
  );
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'site \\ target'),
        targets.map((t) => h('th', {}, seriesLabel(t))),
      ),
    ),
    h('tbody', {}, rows),
  );
}

function pairCell(site, t, c, now) {
  if (!c) return h('td', { class: 'cell nosla' }, h('span', { class: 'sub' }, 'not measured'));
  const cls = cellState(c, now);
  const sla = c.sla ? [c.sla.rtt, c.sla.loss].filter(Boolean).join(', ') : 'no SLA';
  return h(
    'td',
    {
      class: 'cell ' + cls,
      'data-site': site,
      'data-target': t,
      'data-state': cls,
      title: `${site} → ${seriesLabel(t)}: ${STATES[cls]}`,
      onclick: () => focusGraph(site, t),
    },
    h('div', { class: 'rtt' }, cls === 'down' ? 'DOWN' : ms(c.median)),
    h(
      'div',
      { class: 'sub' },
      'loss ' + pct(c.loss) + (cls === 'stale' ? ` · no data since ${ago(c.lastTs)}` : ''),
    ),
    h('div', { class: 'sub' }, c.compliance == null ? sla : `SLA ${sla}: ${pct(c.compliance)}`),
  );
}

/** A target measured through a transit feed is the series `target@feed`: shown as "target via feed". */
const seriesLabel = (t) => t.replace('@', ' via ');

// A dead target (every ping lost, no median) is the loudest cell, not a grey "no SLA" one; a pair
// with no round for 15 minutes (3 five-minute buckets) is stale whatever its last numbers said.
const STATES = {
  down: 'down: every ping lost',
  bad: 'outside its SLA',
  stale: 'stale: no recent rounds',
  ok: 'within its SLA',
  nosla: 'no SLA set',
};
function cellState(c, now) {
  if (c.lastTs != null && now - c.lastTs > 900) return 'stale';
  if (c.sent > 0 && c.loss === 1) return 'down';
  return c.ok === null ? 'nosla' : c.ok ? 'ok' : 'bad';
}

function showError(e) {
  console.error(e);
  document.getElementById('updated').textContent = 'error: ' + e.message;
}

async function refresh() {
  const steps = [
    loadStatus,
    loadSetupNote,
    loadOverview,
    loadAlerts,
    loadGraphs,
    loadProbes,
    loadPaths,
    loadThroughput,
    loadMailq,
    loadExposure,
    loadCapacity,
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      showError(e);
    }
  }
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.body.dataset.ready = '1';
}

document
  .getElementById('matrix-legend')
  .replaceChildren(
    h('span', { class: 'muted' }, 'cells:'),
    ...Object.entries(STATES).map(([k, v]) => h('span', { class: 'cell-key ' + k }, v)),
  );
document
  .getElementById('loss-legend')
  .replaceChildren(
    h('span', { class: 'muted' }, 'median colour = loss:'),
    ...LOSS_CLASSES.map((c) => h('span', {}, h('i', { style: 'background:' + c.color }), c.label)),
    h('span', { class: 'muted' }, ' · grey smoke = min–max, p10–p90, p25–p75'),
  );
document.getElementById('range').addEventListener('change', (e) => {
  state.range = Number(e.target.value);
  loadGraphs().then(loadProbes).catch(showError);
});
document.getElementById('hist-site').addEventListener('change', (e) => {
  state.histSite = e.target.value;
  loadGraphs().catch(showError);
});
document.getElementById('token-save').addEventListener('click', () => {
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('hostops-token', state.token);
  document.getElementById('auth').hidden = true;
  refresh();
});
refresh();
setInterval(refresh, 60_000);
