/**
 * The Store over either driver. Raw rounds keep their RTT list; rollups keep percentiles so a
 * smoke graph of 30 days reads 720 hourly rows instead of 130,000 rounds.
 */
import type { Driver, Param } from './driver.js';
import { quantiles } from './stats.js';
import { rollupOnce } from './rollup.js';
import { HostopsError } from '../lib/errors.js';
import { lacksGrantOrTable, PgDriver } from './pg-driver.js';
import { ensureAhead, rollupOncePg } from './pg-history.js';
import { PartitionCache, writePingsPg } from './pg-ingest.js';
import { fleetRetention } from './pg-retention.js';
import { pairWindowCounts, registerSpecs } from './pg-pair-window.js';
import { QCOLS, json, parse, qvals, type QRow } from './columns.js';
import type {
  CheckRecord,
  JobState,
  MailqSample,
  PathRecord,
  PingRound,
  PingSeries,
  ProbeRecord,
  Resolution,
  SlaBound,
  Store,
  ThroughputRecord,
} from './types.js';

/** Kept open buckets older than this belong to pairs no longer measured (pruneOpenBuckets). */
const OPEN_BUCKET_KEEP = 3600;

const PROBE_COLS =
  'site, probe, prober, target, ts, success, failure, duration, phases, status, rcode, cert_expiry, data';
type ProbeRow = {
  site: string;
  probe: string;
  prober: string;
  target: string;
  ts: number;
  success: number;
  failure: string | null;
  duration: number | null;
  phases: string;
  status: number | null;
  rcode: string | null;
  cert_expiry: number | null;
  data: string | null;
};
const probeRecord = (r: ProbeRow): ProbeRecord => ({
  site: r.site,
  probe: r.probe,
  prober: r.prober,
  target: r.target,
  ts: r.ts,
  success: Number(r.success) !== 0,
  failure: r.failure,
  duration: r.duration,
  phases: parse(r.phases, {}),
  status: r.status == null ? null : Number(r.status),
  rcode: r.rcode,
  certExpiry: r.cert_expiry,
  ...(r.data ? { data: parse(r.data, null) } : {}),
});

/** The resolution a graph of this span reads: raw up to 6 hours, 5-minute up to 8 days, then hourly. */
export function pickResolution(span: number): Resolution {
  return span <= 6 * 3600 ? 'raw' : span <= 8 * 86400 ? '5m' : '1h';
}

export class SqlStore implements Store {
  private parts = new PartitionCache();
  /** rollupTimeoutMs: the database's bound on each statement of a PostgreSQL rollup pass. */
  constructor(
    readonly driver: Driver,
    private opts: { rollupTimeoutMs?: number } = {},
  ) {}
  get kind() {
    return this.driver.dialect;
  }

  migrate() {
    return this.driver.migrate();
  }

  async writePings(rows: PingRound[]): Promise<void> {
    if (!rows.length) return;
    if (this.driver instanceof PgDriver) return writePingsPg(this.driver, this.parts, rows);
    const sql = `INSERT INTO ping (site, target, ts, sent, received, ${QCOLS}, rtts, feed) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`;
    await this.driver.batch(
      rows.map((r) => {
        const rtts = r.rtts.filter((x) => Number.isFinite(x) && x >= 0);
        return [
          sql,
          [
            r.site,
            r.target,
            r.ts,
            r.sent,
            r.received,
            ...qvals(quantiles(rtts)),
            json(rtts.map((x) => Math.round(x * 1e7) / 1e7)),
            r.feed ?? '',
          ],
        ];
      }),
    );
  }

  async writePath(rec: PathRecord): Promise<void> {
    await this.driver.batch([
      [
        'INSERT INTO path (site, target, ts, hops, error, advice, feed) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [
          rec.site,
          rec.target,
          rec.ts,
          json(rec.hops),
          rec.error ?? null,
          rec.advice?.length ? json(rec.advice) : null,
          rec.feed ?? '',
        ],
      ],
    ]);
  }

  async writeThroughput(recs: ThroughputRecord[]): Promise<void> {
    if (!recs.length) return;
    await this.driver.batch(
      recs.map((r) => [
        'INSERT INTO throughput (site, peer, ts, protocol, direction, bits_per_second, bytes, retransmits, jitter, lost_ratio, error) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)',
        [
          r.site,
          r.peer,
          r.ts,
          r.protocol,
          r.direction,
          r.bitsPerSecond,
          r.bytes,
          r.retransmits ?? null,
          r.jitter ?? null,
          r.lostRatio ?? null,
          r.error ?? null,
        ],
      ]),
    );
  }

  async writeMailq(r: MailqSample): Promise<void> {
    await this.driver.batch([
      [
        'INSERT INTO mailq (site, ts, messages, frozen, bytes, oldest_age, summary) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [r.site, r.ts, r.messages, r.frozen, r.bytes, r.oldestAge, json(r.summary)],
      ],
    ]);
  }

  async writeCheck(r: CheckRecord): Promise<void> {
    await this.driver.batch([
      [
        'INSERT INTO checks (site, ts, kind, target, ok, value, data) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [r.site, r.ts, r.kind, r.target, r.ok ? 1 : 0, r.value, json(r.data)],
      ],
    ]);
  }

  async writeProbe(r: ProbeRecord): Promise<void> {
    await this.driver.batch([
      [
        `INSERT INTO probe (${PROBE_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [
          r.site,
          r.probe,
          r.prober,
          r.target,
          r.ts,
          r.success ? 1 : 0,
          r.failure,
          r.duration,
          json(r.phases),
          r.status,
          r.rcode,
          r.certExpiry,
          r.data === undefined ? null : json(r.data),
        ],
      ],
    ]);
  }

  async setJobState(s: JobState): Promise<void> {
    await this.driver.batch([
      [
        `INSERT INTO job_state (site, job, last_run, next_run, failures, last_error) VALUES ($1,$2,$3,$4,$5,$6)
      ON CONFLICT (site, job) DO UPDATE SET last_run = excluded.last_run, next_run = excluded.next_run, failures = excluded.failures, last_error = excluded.last_error`,
        [s.site, s.job, s.lastRun, s.nextRun, s.failures, s.lastError],
      ],
    ]);
  }

  async jobStates(site: string): Promise<JobState[]> {
    const rows = await this.driver.all<{
      site: string;
      job: string;
      last_run: number | null;
      next_run: number | null;
      failures: number;
      last_error: string | null;
    }>(
      'SELECT site, job, last_run, next_run, failures, last_error FROM job_state WHERE site = $1 ORDER BY job',
      [site],
    );
    return rows.map((r) => ({
      site: r.site,
      job: r.job,
      lastRun: r.last_run,
      nextRun: r.next_run,
      failures: Number(r.failures),
      lastError: r.last_error,
    }));
  }

  async rollup(site?: string): Promise<number> {
    const sites = site
      ? [site]
      : (
          await this.driver.all<{ site: string }>('SELECT DISTINCT site FROM ping ORDER BY site')
        ).map((r) => r.site);
    let written = 0;
    // a site another connection is rolling up is skipped, the others still rolled up; named after
    const busy: string[] = [];
    for (const s of sites) {
      for (;;) {
        const n =
          this.driver instanceof PgDriver
            ? await rollupOncePg(this.driver, s, { timeoutMs: this.opts.rollupTimeoutMs })
            : await rollupOnce(this.driver, s);
        if ('busy' in n && n.busy) {
          busy.push(s);
          break;
        }
        written += n.buckets;
        if (!n.more) break;
      }
    }
    if (busy.length)
      throw new HostopsError(
        'STORE_ROLLUP_BUSY',
        `rollup of site${busy.length > 1 ? 's' : ''} ${busy.join(', ')} skipped: another connection to the database holds ${busy.length > 1 ? 'their rollup locks' : 'its rollup lock'}`,
      );
    return written;
  }

  async prune(
    now: number,
    r: { raw: number; fiveMinute: number; hourly: number },
    site: string,
  ): Promise<void> {
    // every table with a site column, and only this site's rows: a shared database holds other
    // agents' history under their own retention
    const del = (table: string, keep: number): [string, Param[]] => [
      `DELETE FROM ${table} WHERE site = $1 AND ts < $2`,
      [site, now - keep],
    ];
    const pg = this.driver instanceof PgDriver;
    if (this.driver instanceof PgDriver) {
      // raw rounds and their rollups are one history for the fleet: whole days are dropped once
      // the fleet's retention (or the longest any site keeps) has passed them, never a DELETE scan
      await ensureAhead(this.driver, now);
      await fleetRetention(this.driver, site, r, now);
    }
    await this.driver.batch([
      ...(pg ? [] : [del('ping', r.raw), del('ping_5m', r.fiveMinute), del('ping_1h', r.hourly)]),
      del('path', r.raw),
      del('mailq', r.fiveMinute),
      // the kept SLA window's hour rows go with the 5-minute rows, whole hours only and never
      // one the pairs' sums still hold (the window's first hour is a day back)
      ...(pg
        ? [
            [
              `DELETE FROM ping_pair_hour WHERE site = $1 AND hour + 3600 <= $2
               AND hour < COALESCE((SELECT lo FROM ping_pair_site WHERE site = $1), 0)`,
              [site, now - r.fiveMinute],
            ] as [string, Param[]],
          ]
        : []),
      del('throughput', r.hourly),
      del('checks', r.hourly),
      del('probe', r.fiveMinute),
    ]);
    if (pg) await this.pruneOpenBuckets(site, now);
  }

  /**
   * The rollup's kept open buckets (ping_5m_open) of pairs no longer measured: a pair's row is its
   * newest bucket, so one over an hour old is a target dropped or gone quiet (one row each, up to
   * ~2.4 kB, would stay forever). Dropping a row is always safe: the next pass that needs it
   * recomputes the bucket from raw rounds. A role without the table's grant yet (fleet schema
   * older than 6) or a database without it has nothing to prune.
   */
  private async pruneOpenBuckets(site: string, now: number): Promise<void> {
    try {
      await this.driver.all('DELETE FROM ping_5m_open WHERE site = $1 AND ts < $2', [
        site,
        now - OPEN_BUCKET_KEEP,
      ]);
    } catch (e) {
      if (!lacksGrantOrTable(e)) throw e;
    }
  }

  maintain() {
    return this.driver.maintain();
  }

  overviewRows(since: number, site?: string) {
    return this.driver.all<{
      site: string;
      target: string;
      ts: number;
      sent: number;
      received: number;
      median: number | null;
    }>(
      `SELECT site, target, ts, sent, received, rtt_median AS median FROM ping_5m WHERE ts >= $1${site === undefined ? '' : ' AND site = $2'}`,
      site === undefined ? [since] : [since, site],
    );
  }

  /**
   * overviewRows folded per pair in PostgreSQL: one row per pair instead of one per 5-minute
   * bucket (12 per pair in an hour). The median is taken as stats.ts `median` takes it, in
   * float8: the middle value, or lo + (hi - lo) * 0.5 of the two middle ones, so it is the same
   * double the overview computes from the rows.
   */
  async overviewPairs(since: number, site?: string) {
    if (!(this.driver instanceof PgDriver)) return null;
    const rows = await this.driver.all<{
      site: string;
      target: string;
      ts: number;
      sent: number;
      received: number;
      median: number | null;
    }>(
      `SELECT site, target, ts, sent, received,
         CASE WHEN n = 0 THEN NULL WHEN n % 2 = 1 THEN m[(n + 1) / 2]
              ELSE m[n / 2] + (m[n / 2 + 1] - m[n / 2]) * 0.5::float8 END AS median
       FROM (SELECT site, target, max(ts) AS ts, sum(sent)::float8 AS sent, sum(received)::float8 AS received,
               count(rtt_median)::int AS n, array_agg(rtt_median ORDER BY rtt_median) FILTER (WHERE rtt_median IS NOT NULL) AS m
             FROM ping_5m WHERE ts >= $1${site === undefined ? '' : ' AND site = $2'} GROUP BY site, target) z`,
      site === undefined ? [since] : [since, site],
    );
    return rows;
  }

  /** Counted in the database, so 100 pairs x 288 buckets never cross the wire as rows. */
  async slaCounts(
    since: number,
    targets: string[] | null,
    rtt?: SlaBound,
    loss?: SlaBound,
    site?: string,
  ) {
    if (targets && !targets.length) return [];
    const op = (b: SlaBound) => (b.op === '<=' ? '<=' : '<');
    const conds: string[] = [];
    const params: Param[] = [since];
    // explicit casts: PostgreSQL would otherwise type a bare $n next to an INTEGER column as integer
    if (rtt) {
      params.push(rtt.value);
      conds.push(
        `rtt_median IS NOT NULL AND rtt_median ${op(rtt)} CAST($${params.length} AS DOUBLE PRECISION)`,
      );
    }
    if (loss) {
      params.push(loss.value);
      conds.push(
        `(sent - received) ${op(loss)} CAST($${params.length} AS DOUBLE PRECISION) * sent`,
      );
    }
    const list = targets
      ?.map((t) => {
        params.push(t);
        return `$${params.length}`;
      })
      .join(', ');
    if (site !== undefined) params.push(site);
    const only = site === undefined ? '' : `AND site = $${params.length}`;
    const good = conds.length
      ? `SUM(CASE WHEN ${conds.join(' AND ')} THEN 1 ELSE 0 END)`
      : 'COUNT(*)';
    const rows = await this.driver.all<{
      site: string;
      target: string;
      buckets: number;
      good: number;
      last_ts: number;
    }>(
      `SELECT site, target, COUNT(*) AS buckets, ${good} AS good, MAX(ts) AS last_ts FROM ping_5m
       WHERE ts >= $1 AND sent > 0 ${list ? `AND target IN (${list})` : ''} ${only} GROUP BY site, target`,
      params,
    );
    return rows.map((r) => ({
      site: r.site,
      target: r.target,
      buckets: Number(r.buckets),
      good: Number(r.good),
      lastTs: Number(r.last_ts),
    }));
  }

  async windowCounts(since: number, site?: string) {
    if (!(this.driver instanceof PgDriver)) return null;
    // a role without the kept state's tables (or meta) reads the 5-minute rows instead
    return pairWindowCounts(this.driver, since, site).catch((e) => {
      if (lacksGrantOrTable(e)) return null;
      throw e;
    });
  }

  /** The rollup watermarks: they move with every rollup that wrote something. */
  async dataVersion(): Promise<string | null> {
    const marks = await this.rollupMarks();
    return marks && [...marks].map(([site, v]) => `rollup:${site}=${v}`).join(',');
  }

  /** Each site's rollup watermark: a site's rows change only when its mark moves. */
  async rollupMarks(): Promise<Map<string, string> | null> {
    try {
      const rows = await this.driver.all<{ key: string; value: string }>(
        "SELECT key, value FROM meta WHERE key LIKE 'rollup:%' ORDER BY key",
      );
      return new Map(rows.map((r) => [r.key.slice('rollup:'.length), String(r.value)]));
    } catch {
      return null; // a role that may not read meta: the cache's TTL alone decides
    }
  }

  async retentionHoldouts(now: number): Promise<{ site: string; until: number }[]> {
    if (!(this.driver instanceof PgDriver)) return [];
    const rows = await this.driver.all<{ site: string; until: number }>(
      'SELECT site, until FROM hostops_retention_holdouts($1, $2)',
      ['raw', now],
    );
    return rows.map((r) => ({ site: r.site, until: Number(r.until) }));
  }

  async registerSlas(specs: { rtt?: SlaBound; loss?: SlaBound }[]) {
    if (this.driver instanceof PgDriver && specs.length) await registerSpecs(this.driver, specs);
  }

  async pingHistory(
    site: string,
    target: string,
    from: number,
    to: number,
    resolution?: Resolution,
  ): Promise<PingSeries> {
    const res = resolution ?? pickResolution(to - from);
    const table = res === 'raw' ? 'ping' : res === '5m' ? 'ping_5m' : 'ping_1h';
    const rows = await this.driver.all<QRow & { ts: number; sent: number; received: number }>(
      `SELECT ts, sent, received, ${QCOLS} FROM ${table} WHERE site = $1 AND target = $2 AND ts >= $3 AND ts <= $4 ORDER BY ts`,
      [site, target, from, to],
    );
    const out: PingSeries = {
      site,
      target,
      resolution: res,
      ts: [],
      sent: [],
      received: [],
      min: [],
      p10: [],
      p25: [],
      median: [],
      p75: [],
      p90: [],
      max: [],
    };
    for (const r of rows) {
      out.ts.push(r.ts);
      out.sent.push(Number(r.sent));
      out.received.push(Number(r.received));
      out.min.push(r.rtt_min);
      out.p10.push(r.rtt_p10);
      out.p25.push(r.rtt_p25);
      out.median.push(r.rtt_median);
      out.p75.push(r.rtt_p75);
      out.p90.push(r.rtt_p90);
      out.max.push(r.rtt_max);
    }
    return out;
  }

  async pingCount(site?: string): Promise<number> {
    const r = site
      ? await this.driver.all<{ n: number }>('SELECT COUNT(*) AS n FROM ping WHERE site = $1', [
          site,
        ])
      : await this.driver.all<{ n: number }>('SELECT COUNT(*) AS n FROM ping');
    return Number(r[0].n);
  }

  async sites(): Promise<string[]> {
    return (
      await this.driver.all<{ site: string }>('SELECT DISTINCT site FROM job_state ORDER BY site')
    ).map((r) => r.site);
  }

  async latestPaths(site?: string): Promise<PathRecord[]> {
    const rows = await this.driver.all<{
      site: string;
      target: string;
      ts: number;
      hops: string;
      error: string | null;
      advice: string | null;
      feed: string | null;
    }>(
      `SELECT p.site, p.target, p.ts, p.hops, p.error, p.advice, p.feed FROM path p
       JOIN (SELECT site, target, MAX(ts) AS ts FROM path ${site ? 'WHERE site = $1' : ''} GROUP BY site, target) l
       ON p.site = l.site AND p.target = l.target AND p.ts = l.ts ORDER BY p.site, p.target`,
      site ? [site] : [],
    );
    return rows.map((r) => ({
      site: r.site,
      target: r.target,
      ts: r.ts,
      hops: parse(r.hops, []),
      ...(r.error ? { error: r.error } : {}),
      ...(r.advice ? { advice: parse<string[]>(r.advice, []) } : {}),
      ...(r.feed ? { feed: r.feed } : {}),
    }));
  }

  async throughputHistory(from: number, to: number, site?: string): Promise<ThroughputRecord[]> {
    const rows = await this.driver.all<Record<string, unknown>>(
      `SELECT site, peer, ts, protocol, direction, bits_per_second, bytes, retransmits, jitter, lost_ratio, error FROM throughput
       WHERE ts >= $1 AND ts <= $2 ${site ? 'AND site = $3' : ''} ORDER BY ts`,
      site ? [from, to, site] : [from, to],
    );
    return rows.map((r) => ({
      site: r.site as string,
      peer: r.peer as string,
      ts: r.ts as number,
      protocol: r.protocol as 'tcp' | 'udp',
      direction: r.direction as 'send' | 'receive',
      bitsPerSecond: r.bits_per_second as number | null,
      bytes: r.bytes as number | null,
      retransmits: r.retransmits == null ? null : Number(r.retransmits),
      jitter: r.jitter as number | null,
      lostRatio: r.lost_ratio as number | null,
      ...(r.error ? { error: r.error as string } : {}),
    }));
  }

  async mailqHistory(site: string, from: number, to: number) {
    const rows = await this.driver.all<{
      site: string;
      ts: number;
      messages: number;
      frozen: number;
      bytes: number;
      oldest_age: number | null;
    }>(
      'SELECT site, ts, messages, frozen, bytes, oldest_age FROM mailq WHERE site = $1 AND ts >= $2 AND ts <= $3 ORDER BY ts',
      [site, from, to],
    );
    return rows.map((r) => ({
      site: r.site,
      ts: r.ts,
      messages: Number(r.messages),
      frozen: Number(r.frozen),
      bytes: r.bytes,
      oldestAge: r.oldest_age,
    }));
  }

  async latestMailq(site: string): Promise<MailqSample | null> {
    const rows = await this.driver.all<{
      site: string;
      ts: number;
      messages: number;
      frozen: number;
      bytes: number;
      oldest_age: number | null;
      summary: string;
    }>(
      'SELECT site, ts, messages, frozen, bytes, oldest_age, summary FROM mailq WHERE site = $1 ORDER BY ts DESC LIMIT 1',
      [site],
    );
    const r = rows[0];
    return r
      ? {
          site: r.site,
          ts: r.ts,
          messages: Number(r.messages),
          frozen: Number(r.frozen),
          bytes: r.bytes,
          oldestAge: r.oldest_age,
          summary: parse(r.summary, null),
        }
      : null;
  }

  async latestChecks(kind: string, site?: string): Promise<CheckRecord[]> {
    const params: Param[] = site ? [kind, site] : [kind];
    const rows = await this.driver.all<{
      site: string;
      ts: number;
      kind: string;
      target: string;
      ok: number;
      value: number | null;
      data: string;
    }>(
      `SELECT c.site, c.ts, c.kind, c.target, c.ok, c.value, c.data FROM checks c
       JOIN (SELECT site, target, MAX(ts) AS ts FROM checks WHERE kind = $1 ${site ? 'AND site = $2' : ''} GROUP BY site, target) l
       ON c.site = l.site AND c.target = l.target AND c.ts = l.ts WHERE c.kind = $1 ORDER BY c.site, c.target`,
      params,
    );
    return rows.map((r) => ({
      site: r.site,
      ts: r.ts,
      kind: r.kind,
      target: r.target,
      ok: Number(r.ok) !== 0,
      value: r.value,
      data: parse(r.data, null),
    }));
  }

  async probeHistory(
    site: string,
    probe: string,
    from: number,
    to: number,
  ): Promise<ProbeRecord[]> {
    const rows = await this.driver.all<ProbeRow>(
      `SELECT ${PROBE_COLS} FROM probe WHERE site = $1 AND probe = $2 AND ts >= $3 AND ts <= $4 ORDER BY ts`,
      [site, probe, from, to],
    );
    return rows.map(probeRecord);
  }

  async latestProbes(site?: string): Promise<ProbeRecord[]> {
    const rows = await this.driver.all<ProbeRow>(
      `SELECT ${PROBE_COLS.split(', ')
        .map((c) => `p.${c}`)
        .join(', ')} FROM probe p
       JOIN (SELECT site, probe, MAX(ts) AS ts FROM probe ${site ? 'WHERE site = $1' : ''} GROUP BY site, probe) l
       ON p.site = l.site AND p.probe = l.probe AND p.ts = l.ts ORDER BY p.site, p.probe`,
      site ? [site] : [],
    );
    return rows.map(probeRecord);
  }

  close() {
    return this.driver.close();
  }
}
