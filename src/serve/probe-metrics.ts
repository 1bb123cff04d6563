/**
 * The `probes:` results on /metrics under blackbox_exporter's names (prober/*.go), one series per
 * probe (labels probe, prober, target) instead of one scrape per target. Phases that did not
 * happen read 0, as blackbox initialises them. Not in blackbox: probe_dns_rcode (the numeric
 * rcode) and probe_smtp_duration_seconds{phase}, probe_smtp_starttls.
 */
import { Gauge, type Registry } from 'prom-client';
import { PROBE_PHASES, type ProbeConfig } from '../config/index.js';
import type { ProbeRecord } from '../store/index.js';
import { dropSeries } from './metrics.js';

type L = 'probe' | 'prober' | 'target';
const RCODE = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

export class ProbeMetrics {
  readonly success: Gauge<L>;
  readonly duration: Gauge<L>;
  readonly httpPhase: Gauge<L | 'phase'>;
  readonly httpStatus: Gauge<L>;
  readonly httpSsl: Gauge<L>;
  readonly httpBody: Gauge<L>;
  readonly certExpiry: Gauge<L>;
  readonly dnsPhase: Gauge<L | 'phase'>;
  readonly dnsAnswer: Gauge<L>;
  readonly dnsAuthority: Gauge<L>;
  readonly dnsAdditional: Gauge<L>;
  readonly dnsSucceeded: Gauge<L>;
  readonly dnsRcode: Gauge<L>;
  readonly smtpPhase: Gauge<L | 'phase'>;
  readonly smtpStarttls: Gauge<L>;

  constructor(r: Registry) {
    const l = ['probe', 'prober', 'target'] as const;
    const lp = [...l, 'phase'] as const;
    const g = <T extends string>(name: string, help: string, labelNames: readonly T[]) =>
      new Gauge<T>({ name, help, labelNames, registers: [r] });
    this.success = g('probe_success', 'Displays whether or not the probe was a success', l);
    this.duration = g(
      'probe_duration_seconds',
      'Returns how long the probe took to complete in seconds',
      l,
    );
    this.httpPhase = g(
      'probe_http_duration_seconds',
      'Duration of http request by phase, summed over all redirects',
      lp,
    );
    this.httpStatus = g('probe_http_status_code', 'Response HTTP status code', l);
    this.httpSsl = g('probe_http_ssl', 'Indicates if SSL was used for the final redirect', l);
    this.httpBody = g(
      'probe_http_uncompressed_body_length',
      'Length of uncompressed response body',
      l,
    );
    this.certExpiry = g(
      'probe_ssl_earliest_cert_expiry',
      "Returns last SSL chain expiry in unixtime (here: the server certificate's notAfter)",
      l,
    );
    this.dnsPhase = g('probe_dns_duration_seconds', 'Duration of DNS request by phase', lp);
    this.dnsAnswer = g(
      'probe_dns_answer_rrs',
      'Returns number of entries in the answer resource record list',
      l,
    );
    this.dnsAuthority = g(
      'probe_dns_authority_rrs',
      'Returns number of entries in the authority resource record list',
      l,
    );
    this.dnsAdditional = g(
      'probe_dns_additional_rrs',
      'Returns number of entries in the additional resource record list',
      l,
    );
    this.dnsSucceeded = g(
      'probe_dns_query_succeeded',
      'Displays whether or not the query was executed successfully',
      l,
    );
    this.dnsRcode = g(
      'probe_dns_rcode',
      'The DNS response code of the last reply (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN ...); absent without a reply',
      l,
    );
    this.smtpPhase = g(
      'probe_smtp_duration_seconds',
      'Duration of the SMTP exchange by phase (connect, banner, ehlo, starttls)',
      lp,
    );
    this.smtpStarttls = g(
      'probe_smtp_starttls',
      '1 when the SMTP session was upgraded with STARTTLS',
      l,
    );
  }

  private all(): Gauge<L>[] {
    return [
      this.success,
      this.duration,
      this.httpStatus,
      this.httpSsl,
      this.httpBody,
      this.certExpiry,
      this.dnsAnswer,
      this.dnsAuthority,
      this.dnsAdditional,
      this.dnsSucceeded,
      this.dnsRcode,
      this.smtpStarttls,
    ];
  }

  /** The series of one run. */
  set(
    r: Pick<
      ProbeRecord,
      | 'probe'
      | 'prober'
      | 'target'
      | 'success'
      | 'duration'
      | 'phases'
      | 'status'
      | 'rcode'
      | 'certExpiry'
      | 'data'
    >,
  ): void {
    const l = { probe: r.probe, prober: r.prober, target: r.target };
    const d = (r.data ?? {}) as {
      bodyBytes?: number;
      tls?: unknown;
      answerRrs?: number | null;
      authorityRrs?: number | null;
      additionalRrs?: number | null;
    };
    this.success.set(l, r.success ? 1 : 0);
    this.duration.set(l, r.duration ?? 0);
    const phases = (g: Gauge<L | 'phase'>, names: readonly string[]) => {
      for (const phase of names) g.set({ ...l, phase }, r.phases[phase] ?? 0);
    };
    if (r.certExpiry != null) this.certExpiry.set(l, r.certExpiry);
    else this.certExpiry.remove(l);
    if (r.prober === 'http') {
      phases(this.httpPhase, PROBE_PHASES.http);
      this.httpStatus.set(l, r.status ?? 0);
      this.httpSsl.set(l, d.tls ? 1 : 0);
      this.httpBody.set(l, d.bodyBytes ?? 0);
    } else if (r.prober === 'dns') {
      phases(this.dnsPhase, PROBE_PHASES.dns);
      this.dnsAnswer.set(l, d.answerRrs ?? 0);
      this.dnsAuthority.set(l, d.authorityRrs ?? 0);
      this.dnsAdditional.set(l, d.additionalRrs ?? 0);
      this.dnsSucceeded.set(l, r.rcode != null ? 1 : 0);
      const code = r.rcode == null ? -1 : RCODE.indexOf(r.rcode);
      if (code >= 0) this.dnsRcode.set(l, code);
      else this.dnsRcode.remove(l);
    } else if (r.prober === 'smtp') {
      phases(this.smtpPhase, PROBE_PHASES.smtp);
      this.smtpStarttls.set(l, d.tls ? 1 : 0);
    }
  }

  /** Drop the series of probes a reload removed or changed (their target or prober may differ). */
  async retain(probes: ProbeConfig[]): Promise<void> {
    const keep = new Set(probes.map((p) => `${p.name}\u0000${p.prober}\u0000${p.target}`));
    const gone = (x: Partial<Record<L, string | number>>) =>
      !keep.has(`${x.probe}\u0000${x.prober}\u0000${x.target}`);
    for (const g of this.all()) await dropSeries(g, ['probe', 'prober', 'target'], gone);
    for (const g of [this.httpPhase, this.dnsPhase, this.smtpPhase])
      await dropSeries(g, ['probe', 'prober', 'target'], gone);
  }
}
