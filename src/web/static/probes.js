// The probes: panel: one row per probe and site (the overview's probes list), and per probe a
// graph of its phase durations over the chosen range with failed runs marked on the x axis.
'use strict';

const PHASE_COLORS = {
  resolve: '#6b46c1',
  connect: '#2b6cb0',
  tls: '#2c7a7b',
  processing: '#c05621',
  transfer: '#b83280',
  request: '#2b6cb0',
  banner: '#c05621',
  ehlo: '#2f855a',
  starttls: '#2c7a7b',
};

async function loadProbes() {
  const ov = await api(state.grouped ? '/api/overview/probes' : '/api/overview');
  const cells = ov.probes || [];
  if (!cells.length) {
    fill(
      'probe-table',
      empty(
        'No probe runs yet: list tcp, http, dns or smtp probes under probes: in hostops.yaml (docs/serve.md).',
      ),
    );
    fill('probe-graphs');
    return;
  }
  fill(
    'probe-table',
    table(
      [
        'site',
        'probe',
        'target',
        'last run',
        'success (1 h)',
        'median',
        'status',
        'certificate',
        'SLA',
      ],
      cells.map((c) => [
        c.site,
        `${c.probe} (${c.prober})`,
        c.target,
        c.last
          ? h(
              'span',
              {
                class: 'pill ' + (c.last.success ? 'ok' : 'bad'),
                'data-probe': c.probe,
                title: c.last.failure || '',
              },
              c.last.success ? 'ok' : 'failed: ' + c.last.failure,
            )
          : '–',
        pct(c.success),
        ms(c.median),
        c.last && c.last.status != null
          ? String(c.last.status)
          : c.last && c.last.rcode
            ? c.last.rcode
            : '–',
        c.certDaysLeft == null ? '–' : c.certDaysLeft + ' days left',
        c.ok == null
          ? 'none'
          : h('span', { class: 'pill ' + (c.ok ? 'ok' : 'bad') }, c.ok ? 'met' : 'broken'),
      ]),
    ),
  );
  const el = document.getElementById('probe-graphs');
  const now = Date.now() / 1000;
  const keep = new Set();
  for (const c of cells) {
    const id = `probe-graph-${c.site}-${c.probe}`.replace(/[^\w-]/g, '_');
    keep.add(id);
    let box = document.getElementById(id + '-box');
    if (!box) {
      box = h(
        'div',
        { class: 'graph', id: id + '-box' },
        h('h3', {}, `${c.site}: ${c.probe} `, h('small', { class: 'muted' }, c.target)),
        h('div', { id }),
      );
      el.append(box);
    }
    const runs = await api(
      `/api/probes/${encodeURIComponent(c.probe)}?site=${encodeURIComponent(c.site)}&from=${Math.floor(now - state.range)}&to=${Math.ceil(now)}`,
    );
    const phases = [...new Set(runs.flatMap((r) => Object.keys(r.phases)))];
    const data = [
      runs.map((r) => r.ts),
      ...phases.map((p) => runs.map((r) => (r.phases[p] == null ? null : r.phases[p] * 1000))),
      runs.map((r) => (r.success ? null : 0)),
    ];
    panelPlot(
      id,
      JSON.stringify(phases),
      (e) => ({
        width: Math.max(240, e.clientWidth),
        height: 200,
        scales: { x: { time: true } },
        axes: [{}, { label: 'ms', size: 60 }],
        series: [
          {},
          ...phases.map((p) => ({
            label: p,
            stroke: PHASE_COLORS[p] || '#444',
            width: 1.5,
            spanGaps: false,
            points: { show: runs.length < 60 },
          })),
          {
            label: 'failed',
            stroke: '#d6333a',
            width: 0,
            points: { show: true, size: 8, fill: '#d6333a' },
          },
        ],
      }),
      data,
    );
  }
  for (const box of [...el.children]) if (!keep.has(box.id.replace(/-box$/, ''))) box.remove();
}
