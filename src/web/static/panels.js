// The other panels: paths, throughput, mail queue, exposure and NTP, capacity, agent status.
'use strict';

// The advice sentences of src/net/advice.ts that say all is well are drawn in the ok colour, the rest as warnings.
const adviceTone = (a) =>
  /The path looks healthy\.|end-to-end there is no loss\./.test(a) ? 'ok' : 'warn';

async function loadPaths() {
  const paths = await api('/api/paths');
  if (!paths.length) {
    fill('path-list', empty('No path recorded yet.'));
    return;
  }
  fill(
    'path-list',
    ...paths.map((p) =>
      h(
        'div',
        {},
        h('h3', {}, `${p.site} → ${p.target} `, h('small', { class: 'muted' }, ago(p.ts))),
        (p.advice || []).length
          ? h(
              'ul',
              { class: 'advice' },
              p.advice.map((a) => h('li', { class: adviceTone(a), 'data-tone': adviceTone(a) }, a)),
            )
          : null,
        p.error
          ? h('p', { class: 'pill bad' }, p.error)
          : table(
              ['hop', 'host', 'loss', 'sent', 'avg', 'best', 'worst'],
              p.hops.map((x) => [
                x.ttl,
                x.hosts.length ? x.hosts.join(', ') : '???',
                pct(x.loss),
                x.sent,
                ms(x.avg),
                ms(x.best),
                ms(x.worst),
              ]),
            ),
      ),
    ),
  );
}

async function loadThroughput() {
  const recs = await api('/api/throughput');
  if (!recs.length) {
    panelPlot('tput-graph', null);
    fill(
      'tput-graph',
      empty('No iperf3 tests yet: list peer sites under iperf.peers in hostops.yaml.'),
    );
    fill('tput-table');
    return;
  }
  const keys = [...new Set(recs.map((r) => `${r.site}→${r.peer} ${r.protocol} ${r.direction}`))];
  const xs = [...new Set(recs.map((r) => r.ts))].sort((a, b) => a - b);
  const cols = keys.map((k) =>
    xs.map((x) => {
      const r = recs.find(
        (q) => q.ts === x && `${q.site}→${q.peer} ${q.protocol} ${q.direction}` === k,
      );
      return r && r.bitsPerSecond != null ? r.bitsPerSecond / 1e6 : null;
    }),
  );
  const palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b'];
  panelPlot(
    'tput-graph',
    JSON.stringify(keys),
    (el) => ({
      width: Math.max(240, el.clientWidth),
      height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: 'Mbit/s', size: 70 }],
      series: [
        {},
        ...keys.map((k, i) => ({
          label: k,
          stroke: palette[i % palette.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 5 },
        })),
      ],
    }),
    [xs, ...cols],
  );
  fill(
    'tput-table',
    table(
      [
        'when',
        'site → peer',
        'protocol',
        'direction',
        'throughput',
        'retransmits',
        'jitter',
        'loss',
        'error',
      ],
      recs
        .slice(-20)
        .reverse()
        .map((r) => [
          when(r.ts),
          `${r.site} → ${r.peer}`,
          r.protocol,
          r.direction,
          bits(r.bitsPerSecond),
          r.retransmits ?? '–',
          r.jitter == null ? '–' : ms(r.jitter),
          r.lostRatio == null ? '–' : pct(r.lostRatio),
          r.error || '',
        ]),
    ),
  );
}

// ---------------------------------------------------------------- mail queue
// Removing needs the agent's token: the button says why it is off instead of failing after a click,
// and the outcome (or the server's error) is written next to the list, not in an alert().
function removeBlocked(actions) {
  if (!actions)
    return 'Actions are off on this agent: set listen.token in hostops.yaml (or HOSTOPS_TOKEN) and restart it, then enter the token on this page.';
  if (!state.token)
    return 'Removing mail needs the agent token (listen.token in hostops.yaml or HOSTOPS_TOKEN): enter it with "Enter token".';
  return null;
}

async function removeMail(id) {
  const out = document.getElementById('mailq-action');
  if (!confirm(`Remove message ${id} from the queue?`)) return;
  out.className = 'action-result';
  out.textContent = `removing ${id} …`;
  try {
    const { csrf } = await api('/api/csrf');
    const res = await api('/api/mailq/remove', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ ids: [id] }),
    });
    out.className = 'action-result ' + (res.failed.length ? 'bad' : 'ok');
    out.textContent = res.failed.length
      ? 'not removed: ' + res.failed.map((f) => `${f.id}: ${f.error}`).join('; ')
      : 'removed ' + res.removed.join(', ');
  } catch (e) {
    out.className = 'action-result bad';
    out.textContent = `not removed: ${e.message}`;
    return;
  }
  loadMailq().catch(showError);
}

async function loadMailq() {
  const mq = await api('/api/mailq');
  if (!mq.enabled && !mq.latest) {
    fill('mailq-summary', empty('No local Exim queue on this host.'));
    return;
  }
  const l = mq.latest;
  if (!l) {
    fill('mailq-summary', empty('No sample yet.'));
    return;
  }
  fill(
    'mailq-summary',
    h(
      'p',
      {},
      h('b', {}, l.messages),
      ' messages, ',
      h('b', {}, l.frozen),
      ' frozen, ',
      bytes(l.bytes),
      ', oldest ',
      l.oldestAge == null ? '–' : Math.round(l.oldestAge / 60) + ' min',
      h('small', { class: 'muted' }, ' · sampled ' + ago(l.ts)),
    ),
  );
  if (mq.history.length > 1) {
    panelPlot(
      'mailq-graph',
      'mailq',
      (el) => ({
        width: Math.max(240, el.clientWidth),
        height: 180,
        scales: { x: { time: true } },
        axes: [{}, { label: 'messages', size: 60 }],
        series: [
          {},
          { label: 'queued', stroke: '#2b6cb0', width: 2 },
          { label: 'frozen', stroke: '#d6333a', width: 2 },
        ],
      }),
      [
        mq.history.map((x) => x.ts),
        mq.history.map((x) => x.messages),
        mq.history.map((x) => x.frozen),
      ],
    );
  } else panelPlot('mailq-graph', null);
  const s = l.summary || {};
  fill(
    'mailq-senders',
    (s.topSenders || []).length
      ? table(
          ['sender', 'messages', 'size'],
          s.topSenders.map((x) => [x.sender, x.messages, bytes(x.bytes)]),
        )
      : empty('none'),
  );
  fill(
    'mailq-domains',
    (s.topDomains || []).length
      ? table(
          ['domain', 'messages'],
          s.topDomains.map((x) => [x.domain, x.messages]),
        )
      : empty('none'),
  );
  const srcs = await api('/api/checks/mailq-sources');
  const src = srcs.length ? srcs[0].data : null;
  fill(
    'mailq-sources',
    src && src.error
      ? h('p', { class: 'pill warn' }, src.error)
      : src && Array.isArray(src.top) && src.top.length
        ? table(
            ['source', 'kind', 'messages', 'queued'],
            src.top.map((x) => [x.source, x.kind, x.messages, x.queued ?? '–']),
          )
        : empty(src ? src.note || 'no sending source stands out' : 'no mainlog report yet'),
  );
  const { actions } = (s.frozenIds || []).length ? await api('/api/csrf') : { actions: false };
  const blocked = removeBlocked(actions);
  fill(
    'mailq-frozen',
    (s.frozenIds || []).length
      ? table(
          ['message id', ''],
          s.frozenIds.map((id) => [
            id,
            h(
              'button',
              {
                class: 'remove',
                disabled: Boolean(blocked),
                title: blocked || `remove ${id} from the queue (exim -Mrm)`,
                onclick: () => removeMail(id).catch(showError),
              },
              'remove',
            ),
          ]),
        )
      : empty('no frozen messages'),
    blocked && (s.frozenIds || []).length
      ? h(
          'p',
          { class: 'muted', id: 'mailq-token-note' },
          blocked,
          ' ',
          actions
            ? h(
                'button',
                {
                  onclick: () => {
                    document.getElementById('auth').hidden = false;
                    document.getElementById('token').focus();
                  },
                },
                'Enter token',
              )
            : null,
        )
      : null,
  );
}

// ---------------------------------------------------------------- exposure, capacity, status
async function loadExposure() {
  const amp = await api('/api/checks/amp');
  fill(
    'amp-table',
    amp.length
      ? table(
          ['target', 'verdict', 'worst factor', 'modes', 'checked', 'fix'],
          amp.map((c) => [
            c.target,
            h(
              'span',
              { class: 'pill ' + (c.ok ? 'ok' : 'bad') },
              (c.data && c.data.verdict) || (c.ok ? 'not exposed' : 'exposed'),
            ),
            c.value == null ? '–' : c.value.toFixed(2) + '×',
            ((c.data && c.data.modes) || [])
              .map((m) => `${m.mode}: ${m.returnedBytes}/${m.sentBytes} B`)
              .join(', '),
            ago(c.ts),
            (c.data && c.data.fix) || '',
          ]),
        )
      : empty('No amplification check yet.'),
  );
  const ntp = await api('/api/checks/ntp');
  fill(
    'ntp-table',
    ntp.length
      ? table(
          ['NTP server', 'state', 'offset', 'delay', 'stratum', 'checked'],
          ntp.map((c) => [
            c.target,
            h(
              'span',
              { class: 'pill ' + (c.ok ? 'ok' : 'warn') },
              c.ok ? 'answering' : (c.data && c.data.error) || 'not answering',
            ),
            c.data && c.data.offset != null ? ms(c.data.offset) : '–',
            c.data && c.data.delay != null ? ms(c.data.delay) : '–',
            c.data && c.data.stratum != null ? c.data.stratum : '–',
            ago(c.ts),
          ]),
        )
      : empty('No NTP self-check yet.'),
  );
}

async function loadCapacity() {
  const cap = await api('/api/checks/capacity');
  fill(
    'capacity-table',
    cap.length
      ? table(
          ['site → peer', 'tests (30 d)', 'p10', 'median', 'p90', 'link', 'headroom', 'note'],
          cap.map((c) => [
            `${c.site} → ${c.target}`,
            c.data.samples,
            bits(c.data.p10),
            bits(c.data.median),
            bits(c.data.p90),
            bits(c.data.linkBitsPerSecond),
            c.value == null
              ? '–'
              : h('span', { class: 'pill ' + (c.ok ? 'ok' : 'bad') }, pct(c.value)),
            c.data.note,
          ]),
        )
      : empty('No capacity report yet: it needs iperf3 tests between sites.'),
  );
  const con = await api('/api/checks/contention');
  fill(
    'contention-table',
    ...con.map((c) =>
      h(
        'div',
        {},
        h(
          'h3',
          {},
          `Contention: ${c.target} `,
          h('small', { class: 'muted' }, (c.data.mode || '') + ' · ' + ago(c.ts)),
        ),
        c.data.error
          ? h('p', { class: 'pill bad' }, c.data.error)
          : table(
              [
                'tier',
                'kind',
                'capacity',
                'customers',
                'oversubscription',
                'end to end',
                'fair share',
                'P(over capacity)',
              ],
              c.data.nominal.map((n) => {
                const m = (c.data.model || []).find((x) => x.id === n.id);
                return [
                  n.id,
                  n.kind,
                  bits(n.capacity),
                  n.customers,
                  n.ratio.toFixed(1) + ':1',
                  n.endToEnd.toFixed(1) + ':1',
                  bits(n.fairShare),
                  m
                    ? h(
                        'span',
                        { class: 'pill ' + (m.pOver < 0.01 ? 'ok' : 'bad') },
                        (m.pOver * 100).toPrecision(2) + '%',
                      )
                    : '–',
                ];
              }),
            ),
      ),
    ),
  );
}

async function loadStatus() {
  const st = await api('/api/status');
  state.site = st.site;
  document.getElementById('site').textContent = `site ${st.site} · ${st.store}`;
  fill(
    'status-body',
    st.notes.length
      ? h(
          'ul',
          {},
          st.notes.map((n) => h('li', {}, n)),
        )
      : null,
    h(
      'p',
      {},
      'Probes: ',
      Object.entries(st.probes)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
      st.spool
        ? ` · spool ${st.spool.rows} rows${st.spool.lastError ? ' (database: ' + st.spool.lastError + ')' : ''}`
        : '',
    ),
    table(
      ['job', 'every', 'last run', 'next run', 'failures', 'last error'],
      st.jobs.map((j) => [
        j.job + (j.running ? ' (running)' : ''),
        j.interval + ' s',
        j.lastRun ? ago(j.lastRun) : 'not yet',
        j.nextRun ? when(j.nextRun) : '–',
        j.failures,
        j.lastError || '',
      ]),
    ),
  );
}
