/**
 * Prometheus exposition. Names follow the conventions (base units seconds, bytes, ratios; `_total`
 * for counters); every series carries `site` so one Prometheus can scrape a whole fleet.
 * RTT buckets are smokeping_prober's (50 µs · 2^k).
 */
import { VERSION } from '../lib/version.js';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  exponentialBuckets,
} from 'prom-client';
import { ProbeMetrics } from './probe-metrics.js';

export class AgentMetrics {
  readonly registry = new Registry();
  // `feed` is set only on a target measured through a transit feed (absent otherwise)
  readonly pingRtt: Histogram<'target' | 'host' | 'feed'>;
  readonly pingMedian: Gauge<'target' | 'host' | 'feed'>;
  readonly pingLoss: Gauge<'target' | 'host' | 'feed'>;
  readonly pingSent: Counter<'target' | 'host' | 'feed'>;
  readonly pingReceived: Counter<'target' | 'host' | 'feed'>;
  readonly pathHops: Gauge<'target' | 'feed'>;
  readonly throughput: Gauge<'peer' | 'protocol' | 'direction'>;
  readonly retransmits: Gauge<'peer' | 'protocol' | 'direction'>;
  readonly jitter: Gauge<'peer' | 'protocol' | 'direction'>;
  readonly udpLoss: Gauge<'peer' | 'protocol' | 'direction'>;
  readonly mailqMessages: Gauge;
  readonly mailqFrozen: Gauge;
  readonly mailqBytes: Gauge;
  readonly mailqOldest: Gauge;
  readonly ntpUp: Gauge<'server'>;
  readonly ntpOffset: Gauge<'server'>;
  readonly ntpDelay: Gauge<'server'>;
  readonly ntpStratum: Gauge<'server'>;
  readonly ampRatio: Gauge<'target' | 'mode'>;
  readonly ampExposed: Gauge<'target'>;
  readonly jobRuns: Counter<'task' | 'result'>;
  readonly jobDuration: Gauge<'task'>;
  readonly jobLastSuccess: Gauge<'task'>;
  readonly jobFailures: Gauge<'task'>;
  readonly spoolRows: Gauge;
  readonly pingGroupLoss: Gauge<'group'>;
  readonly pingGroupMedian: Gauge<'group'>;
  readonly pingGroupTargets: Gauge<'group'>;
  readonly pingGroupSent: Counter<'group'>;
  readonly pingGroupReceived: Counter<'group'>;
  readonly spoolDropped: TotalCounter;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadOk: Gauge;
  readonly configLastReloadSuccess: Gauge;
  /** The probes: section under blackbox_exporter's names (probe-metrics.ts). */
  readonly probes: ProbeMetrics;

  constructor(site: string, version = VERSION) {
    const r = this.registry;
    r.setDefaultLabels({ site });
    collectDefaultMetrics({ register: r });
    new Gauge({
      name: 'hostops_build_info',
      help: 'Build information; value 1.',
      labelNames: ['version'],
      registers: [r],
    }).set({ version }, 1);
    const pl = ['target', 'host', 'feed'] as const;
    this.pingRtt = new Histogram({
      name: 'hostops_ping_rtt_seconds',
      help: 'ICMP echo round-trip times.',
      labelNames: pl,
      buckets: exponentialBuckets(0.00005, 2, 20),
      registers: [r],
    });
    this.pingMedian = new Gauge({
      name: 'hostops_ping_rtt_median_seconds',
      help: 'Median round-trip time of the last round of pings.',
      labelNames: pl,
      registers: [r],
    });
    this.pingLoss = new Gauge({
      name: 'hostops_ping_loss_ratio',
      help: 'Share of pings lost in the last round (0..1).',
      labelNames: pl,
      registers: [r],
    });
    this.pingSent = new Counter({
      name: 'hostops_ping_packets_sent_total',
      help: 'ICMP echo requests sent.',
      labelNames: pl,
      registers: [r],
    });
    this.pingReceived = new Counter({
      name: 'hostops_ping_packets_received_total',
      help: 'ICMP echo replies received.',
      labelNames: pl,
      registers: [r],
    });
    // per-group summaries: what a fleet's /metrics carries when per-target series would be too many
    this.pingGroupLoss = new Gauge({
      name: 'hostops_ping_group_loss_ratio',
      help: "Share of pings lost in the last round, over the group's targets (0..1).",
      labelNames: ['group'],
      registers: [r],
    });
    this.pingGroupMedian = new Gauge({
      name: 'hostops_ping_group_rtt_median_seconds',
      help: "Median of the group's targets' last-round medians.",
      labelNames: ['group'],
      registers: [r],
    });
    this.pingGroupTargets = new Gauge({
      name: 'hostops_ping_group_targets',
      help: 'Targets in the group that answered in the last round.',
      labelNames: ['group'],
      registers: [r],
    });
    this.pingGroupSent = new Counter({
      name: 'hostops_ping_group_packets_sent_total',
      help: "ICMP echo requests sent to the group's targets.",
      labelNames: ['group'],
      registers: [r],
    });
    this.pingGroupReceived = new Counter({
      name: 'hostops_ping_group_packets_received_total',
      help: "ICMP echo replies from the group's targets.",
      labelNames: ['group'],
      registers: [r],
    });
    this.pathHops = new Gauge({
      name: 'hostops_path_hops',
      help: 'Hops on the latest path to the target.',
      labelNames: ['target', 'feed'],
      registers: [r],
    });
    const tl = ['peer', 'protocol', 'direction'] as const;
    this.throughput = new Gauge({
      name: 'hostops_throughput_bytes_per_second',
      help: 'Throughput of the latest iperf3 test to a peer site.',
      labelNames: tl,
      registers: [r],
    });
    this.retransmits = new Gauge({
      name: 'hostops_throughput_retransmits',
      help: 'TCP retransmits in the latest iperf3 test.',
      labelNames: tl,
      registers: [r],
    });
    this.jitter = new Gauge({
      name: 'hostops_throughput_jitter_seconds',
      help: 'UDP jitter in the latest iperf3 test.',
      labelNames: tl,
      registers: [r],
    });
    this.udpLoss = new Gauge({
      name: 'hostops_throughput_loss_ratio',
      help: 'UDP datagrams lost in the latest iperf3 test (0..1).',
      labelNames: tl,
      registers: [r],
    });
    this.mailqMessages = new Gauge({
      name: 'hostops_mailq_messages',
      help: 'Messages in the Exim queue.',
      registers: [r],
    });
    this.mailqFrozen = new Gauge({
      name: 'hostops_mailq_frozen_messages',
      help: 'Frozen messages in the Exim queue.',
      registers: [r],
    });
    this.mailqBytes = new Gauge({
      name: 'hostops_mailq_bytes',
      help: 'Total size of the queued messages.',
      registers: [r],
    });
    this.mailqOldest = new Gauge({
      name: 'hostops_mailq_oldest_message_age_seconds',
      help: 'Age of the oldest queued message.',
      registers: [r],
    });
    this.ntpUp = new Gauge({
      name: 'hostops_ntp_up',
      help: '1 when the NTP server answered the last query.',
      labelNames: ['server'],
      registers: [r],
    });
    this.ntpOffset = new Gauge({
      name: 'hostops_ntp_offset_seconds',
      help: 'Clock offset to the NTP server.',
      labelNames: ['server'],
      registers: [r],
    });
    this.ntpDelay = new Gauge({
      name: 'hostops_ntp_delay_seconds',
      help: 'Round-trip delay to the NTP server.',
      labelNames: ['server'],
      registers: [r],
    });
    this.ntpStratum = new Gauge({
      name: 'hostops_ntp_stratum',
      help: 'Stratum the NTP server reports.',
      labelNames: ['server'],
      registers: [r],
    });
    this.ampRatio = new Gauge({
      name: 'hostops_amp_amplification_ratio',
      help: 'Bytes returned per byte sent for an NTP request mode.',
      labelNames: ['target', 'mode'],
      registers: [r],
    });
    this.ampExposed = new Gauge({
      name: 'hostops_amp_exposed',
      help: '1 when the target amplifies (mode 6/7 answers larger than the request).',
      labelNames: ['target'],
      registers: [r],
    });
    this.jobRuns = new Counter({
      name: 'hostops_job_runs_total',
      help: 'Scheduled job runs by result.',
      labelNames: ['task', 'result'],
      registers: [r],
    });
    this.jobDuration = new Gauge({
      name: 'hostops_job_duration_seconds',
      help: 'Duration of the last run of a job.',
      labelNames: ['task'],
      registers: [r],
    });
    this.jobLastSuccess = new Gauge({
      name: 'hostops_job_last_success_timestamp_seconds',
      help: 'Unix time of the last successful run.',
      labelNames: ['task'],
      registers: [r],
    });
    this.jobFailures = new Gauge({
      name: 'hostops_job_consecutive_failures',
      help: 'Failures since the last success.',
      labelNames: ['task'],
      registers: [r],
    });
    this.spoolRows = new Gauge({
      name: 'hostops_store_spool_rows',
      help: 'Writes waiting in the local spool for the database.',
      registers: [r],
    });
    this.spoolDropped = new TotalCounter(
      new Counter({
        name: 'hostops_store_spool_dropped_total',
        help: 'Spooled writes dropped because the spool was full.',
        registers: [r],
      }),
    );
    this.configReloads = new Counter({
      name: 'hostops_config_reloads_total',
      help: 'Configuration reloads (SIGHUP) by result (ok, error).',
      labelNames: ['result'],
      registers: [r],
    });
    for (const result of ['ok', 'error']) this.configReloads.inc({ result }, 0); // both series from the start, so rate() and alerts see them
    this.configLastReloadOk = new Gauge({
      name: 'hostops_config_last_reload_successful',
      help: '1 when the last configuration reload succeeded (or none was tried), 0 when it failed.',
      registers: [r],
    });
    this.configLastReloadOk.set(1);
    this.probes = new ProbeMetrics(r);
    this.configLastReloadSuccess = new Gauge({
      name: 'hostops_config_last_reload_success_timestamp_seconds',
      help: 'Unix time the configuration was last loaded successfully (start or reload).',
      registers: [r],
    });
  }
}

/**
 * A count kept elsewhere (the spool's dropped rows) exported as a counter: set() takes the running
 * total and adds what is new, so the series is a real counter (rate() and increase() work).
 */
export class TotalCounter {
  private last = 0;
  constructor(readonly counter: Counter) {
    counter.inc(0);
  }
  set(total: number): void {
    if (total > this.last) this.counter.inc(total - this.last);
    this.last = Math.max(this.last, total);
  }
}

/** Drop every series of `metric` whose labels match `gone` (targets, peers or jobs a reload removed). */
export async function dropSeries<T extends string>(
  metric: Gauge<T> | Counter<T> | Histogram<T>,
  keys: readonly T[],
  gone: (labels: Partial<Record<T, string | number>>) => boolean,
): Promise<void> {
  const seen = new Map<string, Partial<Record<T, string | number>>>();
  for (const v of (await metric.get()).values) {
    const l = v.labels as Partial<Record<T, string | number>>;
    const only = Object.fromEntries(keys.map((k) => [k, l[k]])) as Partial<
      Record<T, string | number>
    >;
    if (keys.some((k) => only[k] === undefined) || !gone(only)) continue;
    seen.set(JSON.stringify(only), only);
  }
  for (const l of seen.values()) (metric as Gauge<T>).remove(l as Record<T, string | number>);
}
