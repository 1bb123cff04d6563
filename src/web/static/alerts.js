// hostops dashboard: the active alerts of the built-in rules (GET /api/alerts), newest first.
'use strict';

async function loadAlerts() {
  const a = await api('/api/alerts');
  const rank = { critical: 0, warning: 1, info: 2 };
  const active = a.active
    .slice()
    .sort(
      (x, y) =>
        (x.state === y.state ? 0 : x.state === 'firing' ? -1 : 1) ||
        (rank[x.labels.severity] ?? 3) - (rank[y.labels.severity] ?? 3) ||
        y.activeAt - x.activeAt,
    );
  const firing = active.filter((x) => x.state === 'firing').length;
  const link = document.querySelector('nav a[href="#alerts"]');
  if (link) link.textContent = firing ? `Alerts (${firing})` : 'Alerts';
  const subject = (x) =>
    Object.entries(x.labels)
      .filter(([k]) => !['alertname', 'site', 'severity'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const pill = (x) =>
    h(
      'span',
      {
        class:
          'pill ' + (x.state === 'pending' ? 'warn' : x.labels.severity === 'info' ? 'ok' : 'bad'),
      },
      x.state === 'pending' ? 'pending' : x.labels.severity,
    );
  fill(
    'alerts-active',
    active.length
      ? table(
          ['', 'alert', 'for', 'since', 'what'],
          active.map((x) => [
            pill(x),
            h(
              'span',
              { 'data-alert': x.labels.alertname },
              h('b', {}, x.labels.alertname),
              ' ',
              subject(x),
            ),
            x.state === 'firing' ? 'firing' : 'pending',
            ago(x.activeAt),
            h(
              'span',
              {},
              x.annotations.description || x.annotations.summary || '',
              x.annotations.select ? h('div', {}, h('code', {}, x.annotations.select)) : null,
            ),
          ]),
        )
      : empty('No alert is firing.'),
  );
  fill(
    'alerts-resolved',
    a.resolved.length
      ? table(
          ['alert', 'resolved', 'what'],
          a.resolved
            .slice(0, 10)
            .map((x) => [
              h('span', {}, h('b', {}, x.labels.alertname), ' ', subject(x)),
              ago(x.resolvedAt),
              x.annotations.description || '',
            ]),
        )
      : null,
  );
}
