// hostops dashboard: the grouped overview for many targets (site x group, a paged drill-down,
// worst pairs, search), drawn from /api/overview/groups, /cells, /api/worst and /api/search so
// that no request or table carries the whole site x target matrix.
'use strict';

// Above this many targets the overview starts grouped: 200 columns is already past readable.
const GROUPED_AT = 200;
const params = new URLSearchParams(location.search);
state.view = ['matrix', 'groups'].includes(params.get('view')) ? params.get('view') : 'auto';
state.perPage = Math.min(1000, Math.max(1, Number(params.get('per')) || 100));
state.drill = null; // { group } or { q }, with the page's offset
state.grouped = false;

/** view=auto: grouped when the targets exceed GROUPED_AT (one cell's page tells the total). */
async function useGroupedView() {
  if (state.view !== 'auto') state.grouped = state.view === 'groups';
  else state.grouped = (await api('/api/overview/cells?limit=1')).total > GROUPED_AT;
  document.getElementById('view-mode').value = state.view;
  return state.grouped;
}

/** A group cell's state: any pair outside its SLA makes it bad; every pair dead makes it down. */
function groupState(g) {
  if (g.median == null && g.worstLoss === 1) return 'down';
  if (g.bad > 0) return 'bad';
  return g.ok > 0 ? 'ok' : 'nosla';
}

const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;

function groupCell(g) {
  if (!g) return h('td', { class: 'cell nosla' }, h('span', { class: 'sub' }, 'no targets'));
  const cls = groupState(g);
  return h(
    'td',
    {
      class: 'cell ' + cls,
      'data-site': g.site,
      'data-group': g.group,
      'data-state': cls,
      title: `${g.site} → group ${g.group}: ${g.bad} of ${g.targets} pairs outside their SLA`,
      onclick: () => drill({ group: g.group }),
    },
    h('div', { class: 'rtt' }, cls === 'down' ? 'DOWN' : ms(g.median)),
    h('div', { class: 'sub' }, 'worst loss ' + pct(g.worstLoss)),
    h('div', { class: 'sub' }, `${plural(g.targets, 'target')} · ${g.ok} ok · ${g.bad} bad`),
    g.minCompliance == null ? null : h('div', { class: 'sub' }, 'SLA min ' + pct(g.minCompliance)),
  );
}

async function loadGrouped() {
  document.getElementById('groups').hidden = false;
  // asked together: the agent computes one overview for requests in flight at the same time
  const [gv] = await Promise.all([api('/api/overview/groups'), loadDrill(), loadWorst()]);
  if (!gv.cells.length) {
    fill(
      'matrix',
      empty('No measurements yet: the first round of pings lands within a minute of start.'),
    );
  } else {
    const at = new Map(gv.cells.map((c) => [`${c.site}\u0000${c.group}`, c]));
    fill(
      'matrix',
      h(
        'table',
        { class: 'groups' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'site \\ group'),
            gv.groups.map((g) =>
              h('th', {}, h('a', { href: '#overview', onclick: () => drill({ group: g }) }, g)),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          gv.sites.map((site) =>
            h(
              'tr',
              {},
              h('td', { class: 'rowhead' }, h('b', {}, site)),
              gv.groups.map((g) => groupCell(at.get(`${site}\u0000${g}`))),
            ),
          ),
        ),
      ),
    );
  }
}

function drill(what) {
  state.drill = Object.assign({ offset: 0 }, what);
  loadDrill()
    .then(() => document.getElementById('drill').scrollIntoView({ behavior: 'smooth' }))
    .catch(showError);
}

/** One page of site x target cells of the chosen group (or search), with previous / next. */
async function loadDrill() {
  const d = state.drill;
  if (!d) {
    fill('drill');
    return;
  }
  const qs = new URLSearchParams({ offset: String(d.offset), limit: String(state.perPage) });
  if (d.group) qs.set('group', d.group);
  if (d.q) qs.set('q', d.q);
  const p = await api('/api/overview/cells?' + qs);
  if (!p.targets.length && d.offset > 0) {
    d.offset = 0; // the targets shrank under a later page (a reload): back to the first
    return loadDrill();
  }
  const last = p.offset + p.targets.length;
  const turn = (offset) => () => {
    d.offset = Math.max(0, offset);
    loadDrill().catch(showError);
  };
  fill(
    'drill',
    h(
      'h3',
      { id: 'drill-title' },
      d.group ? `Group ${d.group}` : `Targets matching “${d.q}”`,
      ' ',
      h(
        'small',
        { class: 'muted', id: 'drill-range' },
        p.total ? `targets ${p.offset + 1}–${last} of ${p.total}` : 'no targets',
      ),
    ),
    h(
      'div',
      { class: 'pager' },
      h(
        'button',
        { id: 'drill-prev', disabled: p.offset === 0, onclick: turn(p.offset - state.perPage) },
        '← previous',
      ),
      h(
        'button',
        { id: 'drill-next', disabled: last >= p.total, onclick: turn(p.offset + state.perPage) },
        'next →',
      ),
      h(
        'button',
        {
          id: 'drill-close',
          onclick: () => {
            state.drill = null;
            fill('drill');
          },
        },
        'close',
      ),
    ),
    h(
      'div',
      { class: 'matrix', id: 'drill-cells' },
      p.targets.length
        ? pairTable(p.sites, p.targets, p.cells, Date.now() / 1000)
        : empty('No targets match.'),
    ),
  );
}

async function loadWorst() {
  const lists = await Promise.all(['loss', 'sla'].map((by) => api(`/api/worst?by=${by}&n=10`)));
  for (const w of lists) {
    const by = w.by;
    // the API ranks every measured pair; a pair with no loss (or meeting its SLA) is not "worst"
    const pairs = w.pairs.filter((c) =>
      by === 'loss' ? c.loss > 0 : c.compliance < 1 || c.ok === false,
    );
    fill(
      'worst-' + by,
      pairs.length
        ? h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['pair', 'loss', 'median', 'SLA met'].map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              pairs.map((c) =>
                h(
                  'tr',
                  {
                    'data-site': c.site,
                    'data-target': c.target,
                    class: 'clickable',
                    onclick: () => focusGraph(c.site, c.target),
                  },
                  h('td', {}, `${c.site} → ${seriesLabel(c.target)}`),
                  h('td', {}, pct(c.loss)),
                  h('td', {}, ms(c.median)),
                  h('td', {}, pct(c.compliance)),
                ),
              ),
            ),
          )
        : empty(by === 'loss' ? 'No pair lost a ping.' : 'Every pair met its SLA.'),
    );
  }
}

/** Search lists the matching targets and shows their cells in the drill-down. */
async function search(q) {
  if (!q) {
    fill('search-hits');
    return;
  }
  const r = await api('/api/search?q=' + encodeURIComponent(q) + '&limit=50');
  fill(
    'search-hits',
    r.targets.length
      ? table(
          ['target', 'address', 'groups', 'matched', 'sites', 'outside SLA'],
          r.targets.map((t) => [
            t.name,
            t.address ?? '–',
            t.groups.join(', ') || '–',
            t.matched,
            t.sites,
            t.bad,
          ]),
        )
      : empty(`No target name, address or group contains “${q}”.`),
  );
  state.drill = { q, offset: 0 };
  await loadDrill();
}

document.getElementById('view-mode').addEventListener('change', (e) => {
  state.view = e.target.value;
  loadOverview().catch(showError);
});
document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  search(document.getElementById('search-q').value.trim()).catch(showError);
});
