/**
 * Ping history on PostgreSQL at fleet scale (rounds go in by pg-ingest.ts): rollups are computed
 * inside the database from each site's new rows (watermark on the raw id); retention drops whole
 * days, and partitions are made ahead.
 */
import { lacksGrantOrTable, type PgDriver } from './pg-driver.js';
import { HIST_BASE, HIST_RATIO } from './pg-partition-sql.js';
import { HOUR_FILLFACTOR, ROLLUP_PARTITIONS_FN } from './pg-rollup-partition-sql.js';
import { maintainPairWindow } from './pg-pair-window.js';

const DAY = 86400;
/** Partitions kept ready beyond today, so a day boundary never waits on DDL. */
export const DAYS_AHEAD = 3;

/** Partitions from yesterday to DAYS_AHEAD days on (the maintenance job, every agent; idempotent). */
export async function ensureAhead(driver: PgDriver, now: number): Promise<number> {
  const r = await driver.all<{ n: number }>('SELECT hostops_ping_partitions($1, $2) AS n', [
    now - DAY,
    now + DAYS_AHEAD * DAY,
  ]);
  return Number(r[0]?.n ?? 0);
}

/**
 * Declare this site's raw retention and drop the days the fleet no longer keeps (the fleet's
 * retention.raw, else the longest any site declared). -1: another agent holds the lock right now.
 */
export async function dropOldPartitions(
  driver: PgDriver,
  site: string,
  keep: number,
  now: number,
): Promise<number> {
  const r = await driver.all<{ n: number }>('SELECT hostops_ping_retention($1, $2, $3) AS n', [
    site,
    keep,
    now,
  ]);
  return Number(r[0]?.n ?? 0);
}

const HB = `floor(ln(greatest(v, ${HIST_BASE}) / ${HIST_BASE}) / ln(${HIST_RATIO}))::int`;
/** A histogram bucket's representative RTT, clamped to the hour's min and max; reps.a[hb + 1] is
 *  (HIST_BASE * HIST_RATIO ^ (hb + 0.5))::float8 worked out once per statement (an InitPlan): power() of these
 *  numeric literals is numeric arithmetic, ~17 us a call, and v1 made five calls per hourly row. */
const REP = (col: string) => `least(greatest(((SELECT a FROM reps))[${col} + 1], c.mn), c.mx)`;
const REPS = `reps AS MATERIALIZED (SELECT array_agg((${HIST_BASE} * power(${HIST_RATIO}, i + 0.5))::float8 ORDER BY i) AS a
        FROM generate_series(0, COALESCE((SELECT max(q90) FROM qs), 0)) AS i)`;

/**
 * 5-minute buckets touched by ids ($2, $3] of site $1, recomputed from all their raw rounds (exact
 * percentiles). Each bucket's RTT lists are joined as text and parsed once, then one aggregate over
 * that array per bucket for the percentiles and one for the histogram: small sorts and hashes per
 * bucket instead of grouping every value of the pass twice (the v1 plan sorted all of them twice,
 * spilling to disk; a hash aggregate over all values was still 4x the per-bucket one).
 * rtt_sum adds a bucket's values in list order.
 */
const FIVE = `WITH fresh AS (SELECT DISTINCT target, floor(ts / 300) * 300 AS b FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  r AS (SELECT target, floor(ts / 300) * 300 AS b, sent, received, rtts FROM ping
        WHERE site = $1 AND ts >= (SELECT min(b) FROM fresh) AND ts < (SELECT max(b) FROM fresh) + 300
        AND (target, floor(ts / 300) * 300) IN (SELECT target, b FROM fresh)),
  g AS (SELECT target, b, count(*) AS rounds, sum(sent) AS sent, sum(received) AS received,
        string_to_array(string_agg(nullif(btrim(rtts, '[]'), ''), ','), ',')::float8[] AS a FROM r GROUP BY target, b)
  INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtt_n, rtt_sum, hist_b, hist_n)
  SELECT $1, g.target, g.b, g.rounds, g.sent, g.received, q.mn, q.pc[1], q.pc[2], q.pc[3], q.pc[4], q.pc[5], q.mx, q.n, q.s, h.hb, h.hn
  FROM g, LATERAL (SELECT count(*) AS n, sum(v) AS s, min(v) AS mn, max(v) AS mx,
        percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v) AS pc FROM unnest(g.a) AS v) q,
    LATERAL (SELECT array_agg(hb ORDER BY hb) AS hb, array_agg(n ORDER BY hb) AS hn
        FROM (SELECT ${HB} AS hb, count(*)::int AS n FROM unnest(g.a) AS v GROUP BY 1) z) h
  ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max, rtt_n = excluded.rtt_n,
    rtt_sum = excluded.rtt_sum, hist_b = excluded.hist_b, hist_n = excluded.hist_n`;

/** Values kept per open bucket at most (an 8 kB page holds the row; a bigger bucket is recomputed each pass). */
const OPEN_MAX = 900;

/**
 * Migration 11. The newest 5-minute bucket of each pair, kept between passes (UNLOGGED: a cache, lost at a crash,
 * never replicated; a bucket without it is recomputed from raw rounds): its aggregates over the raw
 * rounds with ids up to the last pass's watermark and all their RTTs sorted, so the pass that adds
 * rounds to it parses, sorts in and bins only the new ones. A row is valid for its bucket only:
 * every pass that touches that bucket rewrites it.
 */
export const OPEN_BUCKET_SQL = [
  `CREATE UNLOGGED TABLE IF NOT EXISTS ping_5m_open (site TEXT NOT NULL, target TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL,
    rounds INTEGER NOT NULL, sent BIGINT NOT NULL, received BIGINT NOT NULL, hist_b INTEGER[], hist_n INTEGER[], vals DOUBLE PRECISION[],
    PRIMARY KEY (site, target)) WITH (toast_tuple_target = 8160, fillfactor = 50)`,
  // kept in the row: no TOAST table write for a list of up to OPEN_MAX values, no compression try
  'ALTER TABLE ping_5m_open ALTER COLUMN vals SET STORAGE MAIN',
  // every pass rewrites each touched pair's rows in these tables (and its hour's in ping_1h): room
  // left on the page keeps those updates HOT, no new index entries (at fillfactor 100 under 10%
  // were; ping_5m's cannot be, its overview index holds columns a pass changes)
  'ALTER TABLE ping_pair SET (fillfactor = 50)',
  'ALTER TABLE ping_pair_hour SET (fillfactor = 50)',
  ROLLUP_PARTITIONS_FN,
  `DO $$ DECLARE p RECORD; BEGIN
     FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ping_1h'::regclass LOOP
       EXECUTE format('ALTER TABLE %I SET (fillfactor = ${HOUR_FILLFACTOR})', p.relname);
     END LOOP;
   END $$`,
];

/** percentile_cont(p) of the sorted array vs of n values, as PostgreSQL computes it (lerp of the two neighbours). */
const PCT_OF = (p: number) => {
  const x = `(${p}::float8 * (n - 1))`;
  return `vs[floor(${x})::int + 1] + ((${x} - floor(${x})) * (vs[ceil(${x})::int + 1] - vs[floor(${x})::int + 1]))`;
};

/**
 * Each touched 5-minute bucket of the pass, its row before the pass (had false: none) and after,
 * so the hour rows (HOUR_DELTA) and the pair window (TOUCHED_DELTA in pg-pair-window.ts) add the
 * change instead of re-reading every 5-minute row of the hour. Per connection, emptied at commit.
 */
export const FIVE_DELTA_TABLE = `CREATE TEMP TABLE hostops_five_delta (target TEXT NOT NULL, b DOUBLE PRECISION NOT NULL, had BOOLEAN NOT NULL,
  o_rounds BIGINT, o_sent BIGINT, o_received BIGINT, o_min DOUBLE PRECISION, o_max DOUBLE PRECISION, o_n BIGINT, o_sum DOUBLE PRECISION,
  o_median DOUBLE PRECISION, o_hb INTEGER[], o_hn INTEGER[],
  rounds BIGINT, sent BIGINT, received BIGINT, mn DOUBLE PRECISION, mx DOUBLE PRECISION, n BIGINT, s DOUBLE PRECISION,
  median DOUBLE PRECISION, hb INTEGER[], hn INTEGER[]) ON COMMIT DELETE ROWS`;

/** The CTEs FIVE_KEPT adds to fill hostops_five_delta: pv reads the rows before this statement's writes (one snapshot). */
const KEEP_DELTA = `,
  pv AS (SELECT p.target, p.ts AS b, p.rounds, p.sent, p.received, p.rtt_min, p.rtt_max, p.rtt_n, p.rtt_sum, p.rtt_median, p.hist_b, p.hist_n
        FROM ping_5m p WHERE p.site = $1 AND p.ts >= (SELECT min(b) FROM tb) AND p.ts < (SELECT max(b) FROM tb) + 300
        AND (p.target, p.ts) IN (SELECT target, b FROM tb)),
  dl AS (INSERT INTO hostops_five_delta SELECT y.target, y.b, pv.target IS NOT NULL, pv.rounds, pv.sent, pv.received, pv.rtt_min, pv.rtt_max,
        pv.rtt_n, pv.rtt_sum, pv.rtt_median, pv.hist_b, pv.hist_n, y.rounds, y.sent, y.received, y.vs[1], y.vs[y.n], y.n, y.s,
        (SELECT ${PCT_OF(0.5)} FROM (SELECT y.vs, y.n) z), y.hb, y.hn FROM y LEFT JOIN pv USING (target, b))`;

/**
 * FIVE with the open buckets kept: a touched bucket whose ping_5m_open row is current adds only the
 * new rounds ($2, $3] to it (their RTTs sorted in, their histogram added); any other is recomputed
 * from all its raw rounds up to $3. The percentiles are read off the sorted values by
 * percentile_cont's own arithmetic, so they are the same doubles. The newest bucket of each pair
 * is kept for the next pass. (unnest in a select list streams its values; in FROM it first copies
 * them into a tuplestore, once per bucket.)
 */
const fiveKept = (
  delta: boolean,
) => `WITH nw AS MATERIALIZED (SELECT target, floor(ts / 300) * 300 AS b, sent, received, rtts FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  tb AS MATERIALIZED (SELECT DISTINCT target, b FROM nw),
  o AS MATERIALIZED (SELECT s.target, s.ts AS b, s.rounds, s.sent, s.received, s.hist_b, s.hist_n, s.vals FROM ping_5m_open s
        WHERE s.site = $1 AND s.vals IS NOT NULL AND (s.target, s.ts) IN (SELECT target, b FROM tb)),
  cold AS MATERIALIZED (SELECT target, b FROM tb EXCEPT ALL SELECT target, b FROM o),
  r AS (SELECT target, b, sent, received, rtts FROM nw WHERE (target, b) IN (SELECT target, b FROM o)
        UNION ALL
        SELECT target, floor(ts / 300) * 300, sent, received, rtts FROM ping
        WHERE site = $1 AND id <= $3 AND ts >= (SELECT min(b) FROM cold) AND ts < (SELECT max(b) FROM cold) + 300
        AND (target, floor(ts / 300) * 300) IN (SELECT target, b FROM cold)),
  g AS (SELECT target, b, count(*) AS rounds, sum(sent) AS sent, sum(received) AS received,
        string_to_array(string_agg(nullif(btrim(rtts, '[]'), ''), ','), ',')::float8[] AS a FROM r GROUP BY target, b),
  y AS MATERIALIZED (SELECT g.target, g.b, g.rounds + COALESCE(o.rounds, 0) AS rounds, g.sent + COALESCE(o.sent, 0) AS sent,
        g.received + COALESCE(o.received, 0) AS received, q.vs, q.n, q.s, h.hb, h.hn
      FROM g LEFT JOIN o USING (target, b),
      LATERAL (SELECT array_agg(v ORDER BY v) AS vs, count(*)::int AS n, sum(v) AS s FROM (SELECT unnest(COALESCE(o.vals, '{}') || g.a) AS v) z0) q,
      LATERAL (SELECT array_agg(hb ORDER BY hb) AS hb, array_agg(n ORDER BY hb) AS hn FROM (SELECT hb, sum(n)::int AS n FROM
        (SELECT ${HB} AS hb, 1 AS n FROM (SELECT unnest(g.a) AS v) z0 UNION ALL SELECT unnest(o.hist_b), unnest(o.hist_n)) u GROUP BY 1) z) h),
  keep AS (INSERT INTO ping_5m_open (site, target, ts, rounds, sent, received, hist_b, hist_n, vals)
        SELECT DISTINCT ON (target) $1, target, b, rounds, sent, received, hb, hn, CASE WHEN n <= ${OPEN_MAX} THEN COALESCE(vs, '{}') END
        FROM y ORDER BY target, b DESC
        ON CONFLICT (site, target) DO UPDATE SET ts = excluded.ts, rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
          hist_b = excluded.hist_b, hist_n = excluded.hist_n, vals = excluded.vals WHERE ping_5m_open.ts <= excluded.ts)${delta ? KEEP_DELTA : ''}
  INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtt_n, rtt_sum, hist_b, hist_n)
  SELECT $1, target, b, rounds, sent, received, vs[1], ${PCT_OF(0.1)}, ${PCT_OF(0.25)}, ${PCT_OF(0.5)}, ${PCT_OF(0.75)}, ${PCT_OF(0.9)}, vs[n], n, s, hb, hn
  FROM y
  ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max, rtt_n = excluded.rtt_n,
    rtt_sum = excluded.rtt_sum, hist_b = excluded.hist_b, hist_n = excluded.hist_n`;
const FIVE_KEPT = fiveKept(false);
const FIVE_KEPT_DELTA = fiveKept(true);

/** The rest of HOUR: the rows of CTE f (target, hour b, 5-minute columns) merged per hour and upserted. */
const HOUR_MERGE = `c AS (SELECT target, b, sum(rounds) AS rounds, sum(sent) AS sent, sum(received) AS received, min(rtt_min) AS mn, max(rtt_max) AS mx,
        sum(rtt_n) AS n, sum(rtt_sum) AS s, string_agg(nullif(array_to_string(hist_b, ','), ''), ',') AS hbs,
        string_agg(nullif(array_to_string(hist_n, ','), ''), ',') AS hns FROM f GROUP BY target, b),
  qs AS MATERIALIZED (SELECT c.target, c.b, c.rounds, c.sent, c.received, c.mn, c.mx, c.n, c.s, z.* FROM c,
    LATERAL (SELECT array_agg(hb ORDER BY hb) AS hb, array_agg(n ORDER BY hb) AS hn,
         min(hb) FILTER (WHERE cum >= 0.1 * tot) AS q10, min(hb) FILTER (WHERE cum >= 0.25 * tot) AS q25,
         min(hb) FILTER (WHERE cum >= 0.5 * tot) AS q50, min(hb) FILTER (WHERE cum >= 0.75 * tot) AS q75,
         min(hb) FILTER (WHERE cum >= 0.9 * tot) AS q90
       FROM (SELECT hb, n, sum(n) OVER (ORDER BY hb) AS cum, sum(n) OVER () AS tot
         FROM (SELECT u.hb, sum(u.hn)::int AS n FROM unnest(string_to_array(c.hbs, ',')::int[], string_to_array(c.hns, ',')::int[]) AS u(hb, hn)
               GROUP BY 1 HAVING sum(u.hn) <> 0) z1) z2) z),
  ${REPS}
  INSERT INTO ping_1h (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtt_n, rtt_sum, hist_b, hist_n)
  SELECT $1, c.target, c.b, c.rounds, c.sent, c.received, c.mn, ${REP('c.q10')}, ${REP('c.q25')}, ${REP('c.q50')}, ${REP('c.q75')}, ${REP('c.q90')},
    c.mx, COALESCE(c.n, 0), c.s, c.hb, c.hn
  FROM qs AS c
  ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max, rtt_n = excluded.rtt_n,
    rtt_sum = excluded.rtt_sum, hist_b = excluded.hist_b, hist_n = excluded.hist_n`;

/**
 * Hours touched by the same ids, merged from their 5-minute rows: sums, min/max, histogram;
 * percentiles read off the histogram. Each hour's histograms are joined as text and merged by one
 * small aggregate per hour (LATERAL), where v1 unnested every histogram of the pass into one sort
 * and two window passes over all of them.
 * (Both string_aggs of a group read its rows in one order, so hbs and hns stay aligned.)
 */
const HOUR = `WITH hrs AS (SELECT DISTINCT target, floor(ts / 3600) * 3600 AS b FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  f AS (SELECT target, floor(ts / 3600) * 3600 AS b, rounds, sent, received, rtt_min, rtt_max, rtt_n, rtt_sum, hist_b, hist_n FROM ping_5m
        WHERE site = $1 AND ts >= (SELECT min(b) FROM hrs) AND ts < (SELECT max(b) FROM hrs) + 3600
        AND (target, floor(ts / 3600) * 3600) IN (SELECT target, b FROM hrs)),
  ${HOUR_MERGE}`;

/** The negated counts of a histogram, in order. */
const NEG = (a: string) =>
  `ARRAY(SELECT -x FROM unnest(${a}) WITH ORDINALITY AS u(x, i) ORDER BY i)`;

/**
 * HOUR from the pass's changes (hostops_five_delta): an hour whose row exists and whose touched
 * buckets only gained values (each old row's min/max kept or widened) becomes its row plus each
 * touched bucket's new row minus its old one (counts, sums and histogram subtract exactly; min/max
 * only widen); any other hour (the first pass into it, a bucket that lost rounds) is merged from
 * all its 5-minute rows as HOUR does. rtt_sum is then added in another order (equal to ~1e-15).
 */
const HOUR_DELTA = `WITH t AS MATERIALIZED (SELECT *, floor(b / 3600) * 3600 AS h FROM hostops_five_delta),
  hrs AS MATERIALIZED (SELECT target, h, bool_and(NOT had OR (rounds >= o_rounds AND (o_min IS NULL OR mn <= o_min)
        AND (o_max IS NULL OR mx >= o_max))) AS ok FROM t GROUP BY 1, 2),
  oh AS MATERIALIZED (SELECT o.target, o.ts AS h, o.rounds, o.sent, o.received, o.rtt_min, o.rtt_max, o.rtt_n, o.rtt_sum, o.hist_b, o.hist_n
        FROM ping_1h o WHERE o.site = $1 AND o.ts >= (SELECT min(h) FROM hrs) AND o.ts <= (SELECT max(h) FROM hrs)
        AND (o.target, o.ts) IN (SELECT target, h FROM hrs WHERE ok)),
  wh AS MATERIALIZED (SELECT target, h FROM hrs EXCEPT ALL SELECT target, h FROM oh),
  f AS (SELECT target, h AS b, rounds, sent, received, rtt_min, rtt_max, rtt_n, rtt_sum, hist_b, hist_n FROM oh
        UNION ALL
        SELECT t.target, t.h, t.rounds, t.sent, t.received, t.mn, t.mx, t.n, t.s, t.hb, t.hn FROM t JOIN oh USING (target, h)
        UNION ALL
        SELECT t.target, t.h, -t.o_rounds, -t.o_sent, -t.o_received, NULL, NULL, -t.o_n, -t.o_sum, t.o_hb, ${NEG('t.o_hn')}
        FROM t JOIN oh USING (target, h) WHERE t.had
        UNION ALL
        SELECT target, floor(ts / 3600) * 3600, rounds, sent, received, rtt_min, rtt_max, rtt_n, rtt_sum, hist_b, hist_n FROM ping_5m
        WHERE site = $1 AND ts >= (SELECT min(h) FROM wh) AND ts < (SELECT max(h) FROM wh) + 3600
        AND (target, floor(ts / 3600) * 3600) IN (SELECT target, h FROM wh)),
  ${HOUR_MERGE}`;

const BATCH_IDS = 200_000;

/** Advisory lock space (two-int keys) of the per-site rollup lock; the second key is hashtext(site). */
const ROLLUP_LOCK = 0x68726f6c; // "hrol"
/** Default bound on each statement of a pass, enforced by the database (a cancelled pass rolls back). */
export const ROLLUP_STATEMENT_TIMEOUT_MS = 120_000;

/**
 * One pass of the incremental rollup for a site: up to BATCH_IDS new raw rounds past the watermark,
 * both levels and the new watermark in one transaction (a crash redoes the pass, never half of it).
 * One writer per site keeps ids committed in order, which is what makes an id watermark safe.
 */
export async function rollupOncePg(
  driver: PgDriver,
  site: string,
  opts: { timeoutMs?: number } = {},
): Promise<{ buckets: number; more: boolean; busy?: boolean }> {
  const key = `rollup:${site}`;
  let buckets = 0;
  let more = false;
  let busy = false;
  await driver.sql.begin(async (tx) => {
    // one pass per site at a time fleet-wide (the id watermark needs one writer): if another
    // connection (this agent's orphaned pass, a second agent for the site) holds it, skip
    const lock = await tx.unsafe('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [
      ROLLUP_LOCK,
      site,
    ]);
    if (!lock[0].ok) return void (busy = true);
    // the bound is the database's: a pass that runs over is cancelled and rolled back, not orphaned
    const ms = Math.max(1, Math.round(opts.timeoutMs ?? ROLLUP_STATEMENT_TIMEOUT_MS));
    await tx.unsafe(`SET LOCAL statement_timeout = ${ms}`);
    await tx.unsafe(`SET LOCAL idle_in_transaction_session_timeout = ${ms}`);
    // the sorts of a pass fit in memory instead of spilling; JIT compiles longer than these run;
    // the planner guesses a few touched buckets and picks nested loops where hashing 10^5 wins (3x)
    await tx.unsafe(`SET LOCAL work_mem = '64MB'`);
    await tx.unsafe('SET LOCAL jit = off');
    await tx.unsafe('SET LOCAL enable_nestloop = off');
    const wmRow = await tx.unsafe('SELECT value FROM meta WHERE key = $1', [key]);
    const wm = wmRow.length ? Number(wmRow[0].value) : 0;
    const top = await tx.unsafe(
      'SELECT max(id) AS hi, count(*) AS n FROM (SELECT id FROM ping WHERE site = $1 AND id > $2 ORDER BY id LIMIT $3) z',
      [site, wm, BATCH_IDS],
    );
    // in a savepoint: a role that may not keep the overview's state still rolls up (its site's
    // state then lags the watermark and readers count from ping_5m)
    const keep = (hi: number, fromDelta = false) =>
      tx
        .savepoint((sp) => maintainPairWindow(sp, site, wm, hi, fromDelta))
        .catch((e) => {
          if (!lacksGrantOrTable(e)) throw e;
        });
    // nothing new: the state may still need building (first run, or an SLA registered since)
    if (top[0].hi == null) return void (await keep(wm));
    const hi = Number(top[0].hi);
    // the pass's 5-minute changes are kept for the hours and the pair window when the role may
    // make a temporary table; else both re-merge whole hours
    const delta = await tx
      .savepoint(async (sp) => {
        const [{ m }] = await sp.unsafe(
          "SELECT to_regclass('pg_temp.hostops_five_delta') IS NULL AS m",
        );
        if (m) await sp.unsafe(FIVE_DELTA_TABLE);
        return true;
      })
      .catch((e: { code?: string }) => {
        if (e.code !== '42501') throw e;
        return false;
      });
    // a role that may not keep the open buckets (a fleet schema older than ping_5m_open) recomputes
    // them from raw rounds every pass: the same rows, more work
    let kept = delta;
    const five = await tx
      .savepoint((sp) => sp.unsafe(delta ? FIVE_KEPT_DELTA : FIVE_KEPT, [site, wm, hi]))
      .catch((e) => {
        if (!lacksGrantOrTable(e)) throw e;
        kept = false;
        return tx.unsafe(FIVE, [site, wm, hi]);
      });
    const hour = await (kept ? tx.unsafe(HOUR_DELTA, [site]) : tx.unsafe(HOUR, [site, wm, hi]));
    await keep(hi, kept);
    await tx.unsafe(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, String(hi)],
    );
    buckets = five.count + hour.count;
    more = Number(top[0].n) === BATCH_IDS;
  });
  return busy ? { buckets, more, busy } : { buckets, more };
}
