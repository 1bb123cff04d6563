/** The alerting and SLA series on the agent's registry (next to src/serve/metrics.ts). */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertView } from './engine.js';

export class AlertMetrics {
  readonly slaRttLimit: Gauge<'target'>;
  readonly slaLossLimit: Gauge<'target'>;
  readonly slaWindow: Gauge<'target'>;
  readonly slaCompliance: Gauge<'target'>;
  readonly slaOk: Gauge<'target'>;
  readonly alerts: Gauge<'alertname' | 'severity' | 'state'>;
  readonly notifications: Counter<'notifier' | 'result'>;
  readonly notificationsDropped: Counter<'notifier'>;
  readonly linkCapacity: Gauge<'peer'>;
  readonly headroom: Gauge<'peer'>;
  readonly sourceRate: Gauge<'source' | 'source_kind' | 'select'>;

  constructor(r: Registry) {
    const t = ['target'] as const;
    this.slaRttLimit = new Gauge({
      name: 'hostops_sla_rtt_limit_seconds',
      help: 'The median RTT a target must stay under from this site (its SLA).',
      labelNames: t,
      registers: [r],
    });
    this.slaLossLimit = new Gauge({
      name: 'hostops_sla_loss_limit_ratio',
      help: 'The packet loss a target must stay under from this site (its SLA, 0..1).',
      labelNames: t,
      registers: [r],
    });
    this.slaWindow = new Gauge({
      name: 'hostops_sla_window_seconds',
      help: 'The window over which hostops_sla_ok and hostops_sla_compliance_ratio judge the SLA.',
      labelNames: t,
      registers: [r],
    });
    this.slaCompliance = new Gauge({
      name: 'hostops_sla_compliance_ratio',
      help: 'Share of the ping rounds in the SLA window that met the SLA (0..1).',
      labelNames: t,
      registers: [r],
    });
    this.slaOk = new Gauge({
      name: 'hostops_sla_ok',
      help: '1 when the median RTT and loss over the SLA window meet the SLA, 0 when not.',
      labelNames: t,
      registers: [r],
    });
    this.alerts = new Gauge({
      name: 'hostops_alerts',
      help: 'Alerts of the built-in rules by state (firing, pending).',
      labelNames: ['alertname', 'severity', 'state'],
      registers: [r],
    });
    this.notifications = new Counter({
      name: 'hostops_alert_notifications_total',
      help: 'Alert notifications sent by notifier and result (ok, error).',
      labelNames: ['notifier', 'result'],
      registers: [r],
    });
    this.linkCapacity = new Gauge({
      name: 'hostops_capacity_link_bits_per_second',
      help: 'The link capacity to an iperf peer (capacity.links).',
      labelNames: ['peer'],
      registers: [r],
    });
    this.headroom = new Gauge({
      name: 'hostops_capacity_headroom_ratio',
      help: 'Achievable throughput to a peer (p10 of 30 days of TCP tests) as a share of its link.',
      labelNames: ['peer'],
      registers: [r],
    });
    this.sourceRate = new Gauge({
      name: 'hostops_mailq_source_messages_per_hour',
      help: 'Messages per hour from the top submitters (script, local user, AUTH user) in the last spam-sources report; select is the hostops mailq rm selection of their queued mail.',
      labelNames: ['source', 'source_kind', 'select'],
      registers: [r],
    });
    this.notificationsDropped = new Counter({
      name: 'hostops_alert_notifications_dropped_total',
      help: 'Notifications dropped because the notifier queue was full.',
      labelNames: ['notifier'],
      registers: [r],
    });
  }

  /** Counts of the active alerts (every series rewritten: a resolved name drops to absent). */
  setActive(active: AlertView[]): void {
    this.alerts.reset();
    for (const a of active)
      this.alerts.inc({
        alertname: a.labels.alertname,
        severity: a.labels.severity,
        state: a.state,
      });
  }

  /** Both result series of a notifier from its start, so rate() sees the first error. */
  notifier(name: string): void {
    for (const result of ['ok', 'error']) this.notifications.inc({ notifier: name, result }, 0);
    this.notificationsDropped.inc({ notifier: name }, 0);
  }
}
