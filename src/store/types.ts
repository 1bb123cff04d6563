/** Rows the agent writes and the shapes the dashboard reads. Times are epoch seconds, RTTs seconds. */

export interface PingRound {
  site: string;
  target: string;
  ts: number;
  sent: number;
  received: number;
  /** RTTs of the replies that came back (seconds), in any order. */
  rtts: number[];
  /** transit feed it was measured through (target is then `name@feed`); '' or absent: none */
  feed?: string;
}

export interface PathHop {
  ttl: number;
  hosts: string[];
  loss: number;
  sent: number;
  avg: number | null;
  best: number | null;
  worst: number | null;
}
export interface PathRecord {
  site: string;
  target: string;
  ts: number;
  hops: PathHop[];
  error?: string /** mtr-style hints (rate-limited hop, loss at the end ...). */;
  advice?: string[] /** transit feed ('' or absent: none) */;
  feed?: string;
}

export interface ThroughputRecord {
  site: string;
  peer: string;
  ts: number;
  protocol: 'tcp' | 'udp';
  direction: 'send' | 'receive';
  bitsPerSecond: number | null;
  bytes: number | null;
  retransmits?: number | null;
  jitter?: number | null;
  lostRatio?: number | null;
  error?: string;
}

export interface MailqSample {
  site: string;
  ts: number;
  messages: number;
  frozen: number;
  bytes: number;
  oldestAge: number | null;
  /** Top senders, domains, spam sources: whatever the mailq module summarised. */
  summary: unknown;
}

/** A self-check or report: ntp, amp, mailq-sources, capacity. `value` is the headline figure. */
export interface CheckRecord {
  site: string;
  ts: number;
  kind: string;
  target: string;
  ok: boolean;
  value: number | null;
  data: unknown;
}

/** One run of a service probe (probes: in hostops.yaml). Durations in seconds, certExpiry in epoch seconds. */
export interface ProbeRecord {
  site: string;
  probe: string;
  prober: string;
  target: string;
  ts: number;
  success: boolean;
  failure: string | null;
  duration: number | null;
  phases: Record<string, number | null>;
  /** HTTP status, or the SMTP reply code the exchange ended on. */
  status: number | null;
  /** DNS rcode name. */
  rcode: string | null;
  /** notAfter of the server's certificate. */
  certExpiry: number | null;
  /** Small extras (address, TLS version, answers, banner). */
  data?: unknown;
}

export interface JobState {
  site: string;
  job: string;
  lastRun: number | null;
  nextRun: number | null;
  failures: number;
  lastError: string | null;
}

export type Resolution = 'raw' | '5m' | '1h';

export interface SlaBound {
  op: '<' | '<=';
  value: number;
}

/** Columns of a smoke graph: parallel arrays, one entry per round or bucket. */
export interface PingSeries {
  site: string;
  target: string;
  resolution: Resolution;
  ts: number[];
  sent: number[];
  received: number[];
  min: (number | null)[];
  p10: (number | null)[];
  p25: (number | null)[];
  median: (number | null)[];
  p75: (number | null)[];
  p90: (number | null)[];
  max: (number | null)[];
}

export interface OverviewCell {
  site: string;
  target: string;
  /** Median RTT over the recent window (seconds), loss ratio over it, rounds counted. */
  median: number | null;
  loss: number | null;
  sent: number;
  /** Share of 5-minute buckets in the SLA window meeting the pair's bounds (null without an SLA). */
  compliance: number | null;
  lastTs: number | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  writePings(rows: PingRound[]): Promise<void>;
  writePath(rec: PathRecord): Promise<void>;
  writeThroughput(recs: ThroughputRecord[]): Promise<void>;
  writeMailq(rec: MailqSample): Promise<void>;
  writeCheck(rec: CheckRecord): Promise<void>;
  writeProbe(rec: ProbeRecord): Promise<void>;
  setJobState(s: JobState): Promise<void>;
  jobStates(site: string): Promise<JobState[]>;
  /** Fold new raw rounds into 5-minute and hourly rollups; returns buckets written. */
  rollup(site?: string): Promise<number>;
  /**
   * Delete `site`'s rows older than each level's retention (seconds). Only that site's: agents of
   * a fleet share one database and each keeps its own retention.
   */
  prune(
    now: number,
    retention: { raw: number; fiveMinute: number; hourly: number },
    site: string,
  ): Promise<void>;
  /** Housekeeping the database needs now and then (planner statistics). */
  maintain(): Promise<void>;
  /** The 5-minute rows since `since` (of `site` only when given). */
  overviewRows(
    since: number,
    site?: string,
  ): Promise<
    {
      site: string;
      target: string;
      ts: number;
      sent: number;
      received: number;
      median: number | null;
    }[]
  >;
  /**
   * The same rows folded per pair in the database (PostgreSQL; null elsewhere): the sums of sent
   * and received, the latest bucket, and the median of the bucket medians computed as
   * store/stats.ts `median` does (odd count: the middle one; even: lo + (hi - lo) * 0.5).
   */
  overviewPairs?(
    since: number,
    site?: string,
  ): Promise<
    | {
        site: string;
        target: string;
        ts: number;
        sent: number;
        received: number;
        median: number | null;
      }[]
    | null
  >;
  /** Per (site, target) among `targets` (of `site` when given): 5-minute buckets since `since` with pings sent, and how many met the bounds (seconds, ratio). */
  slaCounts(
    since: number,
    targets: string[] | null,
    rtt?: SlaBound,
    loss?: SlaBound,
    site?: string,
  ): Promise<{ site: string; target: string; buckets: number; good: number; lastTs: number }[]>;
  /**
   * PostgreSQL: the same counts as slaCounts(since, null) kept at rollup time, with the good
   * buckets of every registered SLA (key from specKey -> index into good); null when the kept
   * state is not current for every site (then slaCounts answers).
   */
  windowCounts?(
    since: number,
    site?: string,
  ): Promise<{
    specs: Map<string, number>;
    rows: { site: string; target: string; buckets: number; lastTs: number; good: number[] }[];
  } | null>;
  /** What changes when a rollup (of any site) lands, for caches of derived views; null if unknown. */
  dataVersion?(): Promise<string | null>;
  /** Each site's rollup watermark (what dataVersion is made of); null if unknown. */
  rollupMarks?(): Promise<Map<string, string> | null>;
  /** Ask future rollups to keep counts for these SLAs too (PostgreSQL). */
  registerSlas?(specs: { rtt?: SlaBound; loss?: SlaBound }[]): Promise<void>;
  /** Inventory sites that hold the fleet's raw retention back at `now` (PostgreSQL fleets). */
  retentionHoldouts?(now: number): Promise<{ site: string; until: number }[]>;
  pingHistory(
    site: string,
    target: string,
    from: number,
    to: number,
    resolution?: Resolution,
  ): Promise<PingSeries>;
  pingCount(site?: string): Promise<number>;
  sites(): Promise<string[]>;
  latestPaths(site?: string): Promise<PathRecord[]>;
  throughputHistory(from: number, to: number, site?: string): Promise<ThroughputRecord[]>;
  mailqHistory(site: string, from: number, to: number): Promise<Omit<MailqSample, 'summary'>[]>;
  latestMailq(site: string): Promise<MailqSample | null>;
  latestChecks(kind: string, site?: string): Promise<CheckRecord[]>;
  /** A probe's runs in [from, to], oldest first. */
  probeHistory(site: string, probe: string, from: number, to: number): Promise<ProbeRecord[]>;
  /** The last run of every probe (of `site`). */
  latestProbes(site?: string): Promise<ProbeRecord[]>;
  close(): Promise<void>;
}
