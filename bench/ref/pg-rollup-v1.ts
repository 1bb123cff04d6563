// The PostgreSQL rollup (5-minute and hourly rows, the kept SLA window) as of main 041739f, kept as
// the oracle of bench/fleet-rollup.ts and test/store/pg-rollup-oracle.test.ts: the optimised
// src/store/pg-history.ts + pg-pair-window.ts must write the same rows. Not used by the product.
import type postgres from 'postgres';
import type { PgDriver } from '../../src/store/pg-driver.js';
import { HIST_BASE, HIST_RATIO } from '../../src/store/pg-partition-sql.js';

type Tx = postgres.TransactionSql | postgres.Sql;
/** Rollups hold it shared, registering an SLA holds it exclusive: ids and arrays stay aligned. */
const SPEC_LOCK = 0x70726877; // "prhw"
const HOUR = 3600;
/** Hours of data each pair's sums cover (the default SLA window is a day). */
const WINDOW_HOURS = 24;

/**
 * Per key, the element-wise sum of `sign * good` over the rows of `from` (SQL yielding key columns,
 * good and sign), as (keys..., good); keys with only empty arrays are absent (COALESCE to '{}').
 */
const sumArrays = (from: string, keys: string) =>
  `SELECT ${keys}, array_agg(s ORDER BY i) AS good FROM (SELECT ${keys}, u.i, sum(u.v * sign)::int AS s
   FROM (${from}) z0, unnest(z0.good) WITH ORDINALITY AS u(v, i) GROUP BY ${keys}, u.i) z1 GROUP BY ${keys}`;

/** A bucket meets spec s: the same conditions SqlStore.slaCounts writes. */
const GOOD = `(s.rtt_op IS NULL OR (f.rtt_median IS NOT NULL AND CASE WHEN s.rtt_op = '<=' THEN f.rtt_median <= s.rtt_value ELSE f.rtt_median < s.rtt_value END))
  AND (s.loss_op IS NULL OR CASE WHEN s.loss_op = '<=' THEN (f.sent - f.received) <= s.loss_value * f.sent ELSE (f.sent - f.received) < s.loss_value * f.sent END)`;

/** Hour rows (target, h, buckets, last_ts, good) from the 5-minute rows in CTE f. */
const HOURS_OF_F = `g AS (SELECT f.target, f.h, s.id, count(*) FILTER (WHERE ${GOOD})::int AS n FROM f CROSS JOIN sla_spec s GROUP BY 1, 2, 3),
  ga AS (SELECT target, h, array_agg(n ORDER BY id) AS good FROM g GROUP BY 1, 2),
  c AS (SELECT target, h, count(*)::int AS buckets, max(ts) AS last_ts FROM f GROUP BY 1, 2),
  nw AS (SELECT c.target, c.h, c.buckets, c.last_ts, COALESCE(ga.good, '{}') AS good FROM c LEFT JOIN ga USING (target, h))`;

const F_COLS = 'target, floor(ts / 3600) * 3600 AS h, ts, sent, received, rtt_median';

const REBUILD = [
  'DELETE FROM ping_pair_hour WHERE site = $1',
  'DELETE FROM ping_pair WHERE site = $1',
  `WITH f AS MATERIALIZED (SELECT ${F_COLS} FROM ping_5m WHERE site = $1 AND sent > 0), ${HOURS_OF_F}
   INSERT INTO ping_pair_hour (site, target, hour, buckets, last_ts, good) SELECT $1, target, h, buckets, last_ts, good FROM nw`,
];

/** Recompute the hours touched by raw ids ($2, $3] and add (new - old) of those from hour $4 on to the pairs. */
const TOUCHED = `WITH hrs AS (SELECT DISTINCT target, floor(ts / 3600) * 3600 AS h FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  f AS MATERIALIZED (SELECT ${F_COLS} FROM ping_5m WHERE site = $1 AND sent > 0
        AND ts >= (SELECT min(h) FROM hrs) AND ts < (SELECT max(h) FROM hrs) + 3600
        AND (target, floor(ts / 3600) * 3600) IN (SELECT target, h FROM hrs)),
  ${HOURS_OF_F},
  old AS (SELECT o.target, o.hour AS h, o.buckets, o.good FROM ping_pair_hour o
          WHERE o.site = $1 AND (o.target, o.hour) IN (SELECT target, h FROM hrs)),
  up AS (INSERT INTO ping_pair_hour (site, target, hour, buckets, last_ts, good) SELECT $1, target, h, buckets, last_ts, good FROM nw
         ON CONFLICT (site, hour, target) DO UPDATE SET buckets = excluded.buckets, last_ts = excluded.last_ts, good = excluded.good),
  dc AS (SELECT nw.target, COALESCE(sum(nw.buckets - COALESCE(old.buckets, 0)) FILTER (WHERE nw.h >= $4), 0)::int AS b,
        max(nw.last_ts) AS last_ts FROM nw LEFT JOIN old USING (target, h) GROUP BY nw.target),
  dg AS (${sumArrays(
    `SELECT target, good, 1 AS sign FROM nw WHERE h >= $4 UNION ALL SELECT target, good, -1 FROM old WHERE h >= $4`,
    'target',
  )}),
  d AS (SELECT dc.target, dc.b, dc.last_ts, COALESCE(dg.good, '{}') AS g FROM dc LEFT JOIN dg USING (target))
  INSERT INTO ping_pair (site, target, buckets, last_ts, good) SELECT $1, target, b, last_ts, g FROM d
  ON CONFLICT (site, target) DO UPDATE SET buckets = ping_pair.buckets + excluded.buckets,
    last_ts = greatest(ping_pair.last_ts, excluded.last_ts), good = hostops_iadd(ping_pair.good, excluded.good, 1)`;

/** Hours [$2, $3) leave the window of site $1's pairs. */
const SLIDE = `UPDATE ping_pair p SET buckets = p.buckets - x.b, good = hostops_iadd(p.good, x.g, -1)
  FROM (SELECT c.target, c.b, COALESCE(g.good, '{}') AS g
        FROM (SELECT target, sum(buckets)::int AS b FROM ping_pair_hour WHERE site = $1 AND hour >= $2 AND hour < $3 GROUP BY target) c
        LEFT JOIN (${sumArrays('SELECT target, good, 1 AS sign FROM ping_pair_hour WHERE site = $1 AND hour >= $2 AND hour < $3', 'target')}) g
        USING (target)) x
  WHERE p.site = $1 AND p.target = x.target`;

const loOf = (lastHour: number) => lastHour - (WINDOW_HOURS - 1) * HOUR;

/**
 * Keep site's pair window current with the 5-minute rows of raw ids (wm, hi], inside the rollup's
 * transaction (after ping_5m was written). Rebuilds the site from ping_5m when its state is missing,
 * behind the watermark, or lacks an SLA registered since.
 */
export async function maintainPairWindowV1(
  tx: Tx,
  site: string,
  wm: number,
  hi: number,
): Promise<void> {
  await tx.unsafe('SELECT pg_advisory_xact_lock_shared($1)', [SPEC_LOCK]);
  const [{ n }] = await tx.unsafe('SELECT COALESCE(max(id), 0)::int AS n FROM sla_spec');
  const st = await tx.unsafe('SELECT lo, specs, wm FROM ping_pair_site WHERE site = $1', [site]);
  const save = (lo: number) =>
    tx.unsafe(
      `INSERT INTO ping_pair_site (site, lo, specs, wm) VALUES ($1, $2, $3, $4)
       ON CONFLICT (site) DO UPDATE SET lo = excluded.lo, specs = excluded.specs, wm = excluded.wm`,
      [site, lo, n, hi],
    );
  if (!st.length || Number(st[0].specs) !== n || Number(st[0].wm) !== wm) {
    for (const q of REBUILD) await tx.unsafe(q, [site]);
    const [{ top }] = await tx.unsafe(
      'SELECT max(hour) AS top FROM ping_pair_hour WHERE site = $1',
      [site],
    );
    const lo = top == null ? 0 : loOf(Number(top));
    await tx.unsafe(
      `INSERT INTO ping_pair (site, target, buckets, last_ts, good)
       SELECT $1, c.target, c.b, c.l, COALESCE(g.good, '{}')
       FROM (SELECT target, sum(buckets)::int AS b, max(last_ts) AS l FROM ping_pair_hour WHERE site = $1 AND hour >= $2 GROUP BY target) c
       LEFT JOIN (${sumArrays('SELECT target, good, 1 AS sign FROM ping_pair_hour WHERE site = $1 AND hour >= $2', 'target')}) g USING (target)`,
      [site, lo],
    );
    await save(lo);
    return;
  }
  if (hi === wm) return;
  const lo = Number(st[0].lo);
  const [{ top }] = await tx.unsafe(
    'SELECT floor(max(ts) / 3600) * 3600 AS top FROM ping WHERE site = $1 AND id > $2 AND id <= $3',
    [site, wm, hi],
  );
  const lo2 = top == null ? lo : Math.max(lo, loOf(Number(top)));
  if (lo2 > lo) await tx.unsafe(SLIDE, [site, lo, lo2]);
  await tx.unsafe(TOUCHED, [site, wm, hi, lo2]);
  await save(lo2);
}

/** The stored RTT list (JSON text of plain numbers) as float8[]: far cheaper than parsing it as jsonb. */
const RTTS = `string_to_array(nullif(btrim(r.rtts, '[]'), ''), ',')::float8[]`;
const HB = `floor(ln(greatest(v, ${HIST_BASE}) / ${HIST_BASE}) / ln(${HIST_RATIO}))::int`;
const REP = (col: string) =>
  `least(greatest(${HIST_BASE} * power(${HIST_RATIO}, ${col} + 0.5), c.mn), c.mx)`;

/** 5-minute buckets touched by ids ($2, $3] of site $1, recomputed from all their raw rounds (exact percentiles). */
const FIVE = `WITH fresh AS (SELECT DISTINCT target, floor(ts / 300) * 300 AS b FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  r AS MATERIALIZED (SELECT target, floor(ts / 300) * 300 AS b, sent, received, rtts FROM ping
        WHERE site = $1 AND ts >= (SELECT min(b) FROM fresh) AND ts < (SELECT max(b) FROM fresh) + 300
        AND (target, floor(ts / 300) * 300) IN (SELECT target, b FROM fresh)),
  c AS (SELECT target, b, count(*) AS rounds, sum(sent) AS sent, sum(received) AS received FROM r GROUP BY target, b),
  x AS MATERIALIZED (SELECT r.target, r.b, e AS v FROM r, unnest(${RTTS}) AS e),
  q AS (SELECT target, b, count(*) AS n, sum(v) AS s, min(v) AS mn, max(v) AS mx,
        percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY v) AS pc FROM x GROUP BY target, b),
  h AS (SELECT target, b, array_agg(hb ORDER BY hb) AS hb, array_agg(n ORDER BY hb) AS hn
        FROM (SELECT target, b, ${HB} AS hb, count(*)::int AS n FROM x GROUP BY 1, 2, 3) z GROUP BY target, b)
  INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtt_n, rtt_sum, hist_b, hist_n)
  SELECT $1, c.target, c.b, c.rounds, c.sent, c.received, q.mn, q.pc[1], q.pc[2], q.pc[3], q.pc[4], q.pc[5], q.mx, COALESCE(q.n, 0), q.s, h.hb, h.hn
  FROM c LEFT JOIN q USING (target, b) LEFT JOIN h USING (target, b)
  ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max, rtt_n = excluded.rtt_n,
    rtt_sum = excluded.rtt_sum, hist_b = excluded.hist_b, hist_n = excluded.hist_n`;

/** Hours touched by the same ids, merged from their 5-minute rows: sums, min/max, histogram; percentiles read off the histogram. */
const HOUR_SQL = `WITH hrs AS (SELECT DISTINCT target, floor(ts / 3600) * 3600 AS b FROM ping WHERE site = $1 AND id > $2 AND id <= $3),
  f AS MATERIALIZED (SELECT target, floor(ts / 3600) * 3600 AS b, rounds, sent, received, rtt_min, rtt_max, rtt_n, rtt_sum, hist_b, hist_n FROM ping_5m
        WHERE site = $1 AND ts >= (SELECT min(b) FROM hrs) AND ts < (SELECT max(b) FROM hrs) + 3600
        AND (target, floor(ts / 3600) * 3600) IN (SELECT target, b FROM hrs)),
  c AS (SELECT target, b, sum(rounds) AS rounds, sum(sent) AS sent, sum(received) AS received, min(rtt_min) AS mn, max(rtt_max) AS mx,
        sum(rtt_n) AS n, sum(rtt_sum) AS s FROM f GROUP BY target, b),
  hh AS (SELECT target, b, u.hb, sum(u.hn)::int AS n FROM f, unnest(f.hist_b, f.hist_n) AS u(hb, hn) GROUP BY 1, 2, 3),
  cum AS (SELECT target, b, hb, n, sum(n) OVER (PARTITION BY target, b ORDER BY hb) AS cum, sum(n) OVER (PARTITION BY target, b) AS tot FROM hh),
  qs AS (SELECT target, b, array_agg(hb ORDER BY hb) AS hb, array_agg(n ORDER BY hb) AS hn,
         min(hb) FILTER (WHERE cum >= 0.1 * tot) AS q10, min(hb) FILTER (WHERE cum >= 0.25 * tot) AS q25,
         min(hb) FILTER (WHERE cum >= 0.5 * tot) AS q50, min(hb) FILTER (WHERE cum >= 0.75 * tot) AS q75,
         min(hb) FILTER (WHERE cum >= 0.9 * tot) AS q90 FROM cum GROUP BY target, b)
  INSERT INTO ping_1h (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtt_n, rtt_sum, hist_b, hist_n)
  SELECT $1, c.target, c.b, c.rounds, c.sent, c.received, c.mn, ${REP('qs.q10')}, ${REP('qs.q25')}, ${REP('qs.q50')}, ${REP('qs.q75')}, ${REP('qs.q90')},
    c.mx, COALESCE(c.n, 0), c.s, qs.hb, qs.hn
  FROM c LEFT JOIN qs USING (target, b)
  ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max, rtt_n = excluded.rtt_n,
    rtt_sum = excluded.rtt_sum, hist_b = excluded.hist_b, hist_n = excluded.hist_n`;

const BATCH_IDS = 200_000;

/**
 * One pass of the incremental rollup for a site: up to BATCH_IDS new raw rounds past the watermark,
 * both levels and the new watermark in one transaction (a crash redoes the pass, never half of it).
 * One writer per site keeps ids committed in order, which is what makes an id watermark safe.
 */
export async function rollupOncePgV1(
  driver: PgDriver,
  site: string,
): Promise<{ buckets: number; more: boolean }> {
  const key = `rollup:${site}`;
  let buckets = 0;
  let more = false;
  await driver.sql.begin(async (tx) => {
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
    const keep = (hi: number) =>
      tx
        .savepoint((sp) => maintainPairWindowV1(sp, site, wm, hi))
        .catch((e: { code?: string }) => {
          if (e.code !== '42501' && e.code !== '42P01') throw e;
        });
    // nothing new: the state may still need building (first run, or an SLA registered since)
    if (top[0].hi == null) return void (await keep(wm));
    const hi = Number(top[0].hi);
    const five = await tx.unsafe(FIVE, [site, wm, hi]);
    const hour = await tx.unsafe(HOUR_SQL, [site, wm, hi]);
    await keep(hi);
    await tx.unsafe(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, String(hi)],
    );
    buckets = five.count + hour.count;
    more = Number(top[0].n) === BATCH_IDS;
  });
  return { buckets, more };
}
