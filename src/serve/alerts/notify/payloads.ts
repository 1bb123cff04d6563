/**
 * The JSON shapes receivers already understand: Alertmanager's v2 API alert (what Prometheus
 * POSTs to /api/v2/alerts) and Alertmanager's webhook message (version "4"), plus the plain-text
 * email. Times are RFC 3339; an alert still firing has endsAt in the future for the API and the
 * zero time in the webhook, as Alertmanager writes it.
 */
import type { AlertView } from '../engine.js';

export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}
export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

export const iso = (t: number) => new Date(Math.round(t * 1000)).toISOString();
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Where the alert can be looked at; none when the sender has no HTTP side (ddos analyze). */
export const generatorURL = (base: string, a: AlertView) =>
  base ? `${base.replace(/\/$/, '')}/api/alerts?fingerprint=${a.fingerprint}` : '';

/** One alert for POST /api/v2/alerts; a firing one is valid until `validUntil`. */
export function apiAlert(a: AlertView, base: string, validUntil: number): ApiAlert {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.firedAt ?? a.activeAt),
    endsAt: iso(a.state === 'resolved' ? a.resolvedAt! : validUntil),
    generatorURL: generatorURL(base, a),
  };
}

const common = (maps: Record<string, string>[]): Record<string, string> => {
  if (!maps.length) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(maps[0])) if (maps.every((m) => m[k] === v)) out[k] = v;
  return out;
};

/** The webhook message of one group (all alerts share `groupLabels`). */
export function webhookMessage(
  alerts: AlertView[],
  groupLabels: Record<string, string>,
  base: string,
  receiver = 'hostops',
): WebhookMessage {
  const status = alerts.some((a) => a.state === 'firing') ? 'firing' : 'resolved';
  const key = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
    .join(',');
  return {
    version: '4',
    groupKey: `{}:{${key}}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: base,
    alerts: alerts.map((a) => ({
      status: a.state === 'resolved' ? 'resolved' : 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.firedAt ?? a.activeAt),
      endsAt: a.state === 'resolved' ? iso(a.resolvedAt!) : ZERO_TIME,
      generatorURL: generatorURL(base, a),
      fingerprint: a.fingerprint,
    })),
  };
}

/** Subject and text body of the email for a webhook message. */
export function emailText(m: WebhookMessage): { subject: string; body: string } {
  const firing = m.alerts.filter((a) => a.status === 'firing');
  const resolved = m.alerts.filter((a) => a.status === 'resolved');
  const name = m.groupLabels.alertname ?? m.commonLabels.alertname ?? 'alerts';
  const site = m.commonLabels.site ? ` (site ${m.commonLabels.site})` : '';
  const subject = `[${m.status.toUpperCase()}${firing.length ? `:${firing.length}` : ''}] ${name}${site}`;
  const lines: string[] = [];
  const each = (title: string, list: WebhookAlert[]) => {
    if (!list.length) return;
    lines.push(`${title}:`, '');
    for (const a of list) {
      lines.push(`* ${a.annotations.summary ?? a.labels.alertname}`);
      if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
      for (const [k, v] of Object.entries(a.annotations))
        if (k !== 'summary' && k !== 'description') lines.push(`  ${k}: ${v}`);
      lines.push(
        `  labels: ${Object.entries(a.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
      lines.push(
        `  since ${a.startsAt}${a.status === 'resolved' ? `, resolved ${a.endsAt}` : ''}`,
        '',
      );
    }
  };
  each('Firing', firing);
  each('Resolved', resolved);
  lines.push(`-- hostops serve, ${m.externalURL}`);
  return { subject, body: lines.join('\n') + '\n' };
}
