/**
 * The overview's SLA window kept up to date at rollup time (PostgreSQL), so a request reads one
 * row per pair instead of every 5-minute row of the day:
 *   ping_pair_hour: per pair and hour, the 5-minute buckets with pings sent, the latest such
 *                   bucket, and for every registered SLA the buckets meeting it (good[spec id]);
 *   ping_pair:      per pair, the sums of its hour rows from the site's `lo` hour on;
 *   ping_pair_site: per site, `lo` (the first hour of the last 24 of data), how many SLAs the
 *                   counts cover, and the rollup watermark they match.
 * A rollup pass recomputes the hours its rounds touched, adds (new - old) to the pairs, and
 * slides `lo` by subtracting the hours that left the window. A request for any `since` corrects
 * the pair sums by whole hour rows and reads 5-minute rows only for the part-hour at `since`.
 * SLAs are registered by the reader (sla_spec, ids dense from 1); a site's counts are rebuilt
 * from ping_5m by its next rollup when a new one appears. Until every rolled-up site's state is
 * current, readers use the direct query: the answer is the same, only slower.
 */
import type postgres from 'postgres';
import type { PgDriver } from './pg-driver.js';
import type { SlaBound } from './types.js';

type Tx = postgres.TransactionSql | postgres.Sql;
/** Rollups hold it shared, registering an SLA holds it exclusive: ids and arrays stay aligned. */
const SPEC_LOCK = 0x70726877; // "prhw"
const HOUR = 3600;
/** Hours of data each pair's sums cover (the default SLA window is a day). */
const WINDOW_HOURS = 24;

export const PAIR_WINDOW_SQL = [
  `CREATE TABLE IF NOT EXISTS sla_spec (id INTEGER PRIMARY KEY, spec TEXT NOT NULL UNIQUE, rtt_op TEXT, rtt_value DOUBLE PRECISION,
    loss_op TEXT, loss_value DOUBLE PRECISION)`,
  `CREATE TABLE IF NOT EXISTS ping_pair_hour (site TEXT NOT NULL, target TEXT NOT NULL, hour DOUBLE PRECISION NOT NULL,
    buckets INTEGER NOT NULL, last_ts DOUBLE PRECISION, good INTEGER[] NOT NULL, PRIMARY KEY (site, hour, target))`,
  `CREATE TABLE IF NOT EXISTS ping_pair (site TEXT NOT NULL, target TEXT NOT NULL, buckets INTEGER NOT NULL,
    last_ts DOUBLE PRECISION, good INTEGER[] NOT NULL, PRIMARY KEY (site, target))`,
  `CREATE TABLE IF NOT EXISTS ping_pair_site (site TEXT PRIMARY KEY, lo DOUBLE PRECISION NOT NULL, specs INTEGER NOT NULL, wm BIGINT NOT NULL)`,
  // element-wise a + k * b, the shorter array read as zeros (a per-row call: sums over many rows
  // are set-based, see sumArrays, a custom aggregate was 20x slower)
  `CREATE OR REPLACE FUNCTION hostops_iadd(a INTEGER[], b INTEGER[], k INTEGER) RETURNS INTEGER[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY(SELECT COALESCE(x, 0) + k * COALESCE(y, 0) FROM unnest(a, b) AS u(x, y)) $$`,
];

/** The tables of this module with a site column (row-level security applies as to ping_5m). */
export const PAIR_SITE_TABLES = ['ping_pair_hour', 'ping_pair', 'ping_pair_site'] as const;

/**
 * Per key, the element-wise sum of `sign * good` over the rows of `from` (SQL yielding key columns,
 * good and sign), as (keys..., good); keys with only empty arrays are absent (COALESCE to '{}').
 */
const sumArrays = (from: string, keys: string) =>
  `SELECT ${keys}, array_agg(s ORDER BY i) AS good FROM (SELECT ${keys}, u.i, sum(u.v * sign)::int AS s
   FROM (${from}) z0, unnest(z0.good) WITH ORDINALITY AS u(v, i) GROUP BY ${keys}, u.i) z1 GROUP BY ${keys}`;

/** A bucket meets spec s: the same conditions SqlStore.slaCounts writes. */
const goodOf = (median: string, sent: string, received: string) =>
  `(s.rtt_op IS NULL OR (${median} IS NOT NULL AND CASE WHEN s.rtt_op = '<=' THEN ${median} <= s.rtt_value ELSE ${median} < s.rtt_value END))
  AND (s.loss_op IS NULL OR CASE WHEN s.loss_op = '<=' THEN (${sent} - ${received}) <= s.loss_value * ${sent} ELSE (${sent} - ${received}) < s.loss_value * ${sent} END)`;
const GOOD = goodOf('f.rtt_median', 'f.sent', 'f.received');

/** hostops_iadd(a, b, k) written out: the SQL function is not inlined (it holds a subquery), so each
 *  call, one per pair and pass, set up its own executor; written out it is a subplan of the statement. */
const IADD = (a: string, b: string, k: number) =>
  `ARRAY(SELECT COALESCE(x, 0) + ${k} * COALESCE(y, 0) FROM unnest(${a}, ${b}) AS u(x, y))`;

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

/** The end of TOUCHED and TOUCHED_DELTA: each pair's change (CTEs dc: buckets and latest bucket,
 *  dg: good counts) added to its ping_pair row. */
const PAIR_ADD = `d AS (SELECT dc.target, dc.b, dc.last_ts, COALESCE(dg.good, '{}') AS g FROM dc LEFT JOIN dg USING (target))
  INSERT INTO ping_pair (site, target, buckets, last_ts, good) SELECT $1, target, b, last_ts, g FROM d
  ON CONFLICT (site, target) DO UPDATE SET buckets = ping_pair.buckets + excluded.buckets,
    last_ts = greatest(ping_pair.last_ts, excluded.last_ts), good = ${IADD('ping_pair.good', 'excluded.good', 1)}`;

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
  ${PAIR_ADD}`;

/**
 * TOUCHED from the pass's 5-minute changes (hostops_five_delta, filled by the same pass): each
 * touched bucket with pings sent adds itself and its good flags to its hour and takes off what
 * its old row counted (a bucket's sent only grows, so it counts before and after or only after),
 * instead of recounting every 5-minute row of the hour. The pairs get the same change for hours
 * from $2 on, and the hours' new latest buckets.
 */
const TOUCHED_DELTA = `WITH f AS MATERIALIZED (SELECT target, floor(b / 3600) * 3600 AS h, b, had, sent, received, median, o_sent, o_received, o_median
        FROM hostops_five_delta WHERE sent > 0),
  g AS (SELECT f.target, f.h, s.id, (count(*) FILTER (WHERE ${goodOf('f.median', 'f.sent', 'f.received')}) - count(*) FILTER (WHERE f.had AND f.o_sent > 0 AND ${goodOf('f.o_median', 'f.o_sent', 'f.o_received')}))::int AS n
        FROM f CROSS JOIN sla_spec s GROUP BY 1, 2, 3),
  ga AS (SELECT target, h, array_agg(n ORDER BY id) AS good FROM g GROUP BY 1, 2),
  c AS (SELECT target, h, (count(*) - count(*) FILTER (WHERE had AND o_sent > 0))::int AS buckets, max(b) AS last_ts FROM f GROUP BY 1, 2),
  dw AS MATERIALIZED (SELECT c.target, c.h, c.buckets, c.last_ts, COALESCE(ga.good, '{}') AS good FROM c LEFT JOIN ga USING (target, h)),
  up AS (INSERT INTO ping_pair_hour (site, target, hour, buckets, last_ts, good) SELECT $1, target, h, buckets, last_ts, good FROM dw
         ON CONFLICT (site, hour, target) DO UPDATE SET buckets = ping_pair_hour.buckets + excluded.buckets,
           last_ts = greatest(ping_pair_hour.last_ts, excluded.last_ts), good = ${IADD('ping_pair_hour.good', 'excluded.good', 1)}
         RETURNING target, last_ts),
  dc AS (SELECT x.target, x.b, l.last_ts FROM (SELECT target, COALESCE(sum(buckets) FILTER (WHERE h >= $2), 0)::int AS b FROM dw GROUP BY target) x
        JOIN (SELECT target, max(last_ts) AS last_ts FROM up GROUP BY target) l USING (target)),
  dg AS (${sumArrays('SELECT target, good, 1 AS sign FROM dw WHERE h >= $2', 'target')}),
  ${PAIR_ADD}`;

/** Hours [$2, $3) leave the window of site $1's pairs. */
const SLIDE = `UPDATE ping_pair p SET buckets = p.buckets - x.b, good = ${IADD('p.good', 'x.g', -1)}
  FROM (SELECT c.target, c.b, COALESCE(g.good, '{}') AS g
        FROM (SELECT target, sum(buckets)::int AS b FROM ping_pair_hour WHERE site = $1 AND hour >= $2 AND hour < $3 GROUP BY target) c
        LEFT JOIN (${sumArrays('SELECT target, good, 1 AS sign FROM ping_pair_hour WHERE site = $1 AND hour >= $2 AND hour < $3', 'target')}) g
        USING (target)) x
  WHERE p.site = $1 AND p.target = x.target`;

const loOf = (lastHour: number) => lastHour - (WINDOW_HOURS - 1) * HOUR;

/**
 * Keep site's pair window current with the 5-minute rows of raw ids (wm, hi], inside the rollup's
 * transaction (after ping_5m was written). Rebuilds the site from ping_5m when its state is missing,
 * behind the watermark, or lacks an SLA registered since. fromDelta: hostops_five_delta holds this
 * pass's 5-minute changes (rollupOncePg), so touched hours are updated by them.
 */
export async function maintainPairWindow(
  tx: Tx,
  site: string,
  wm: number,
  hi: number,
  fromDelta = false,
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
  if (fromDelta) await tx.unsafe(TOUCHED_DELTA, [site, lo2]);
  else await tx.unsafe(TOUCHED, [site, wm, hi, lo2]);
  await save(lo2);
}

export interface PairCount {
  site: string;
  target: string;
  buckets: number;
  lastTs: number;
  /** good buckets per registered SLA, by spec id - 1 */
  good: number[];
}

/** The key an SLA is registered under (the bound ops as SqlStore.slaCounts reads them). */
export function specKey(rtt?: SlaBound, loss?: SlaBound): string {
  const b = (x?: SlaBound) => (x ? `${x.op === '<=' ? '<=' : '<'}${x.value}` : '');
  return `${b(rtt)}|${b(loss)}`;
}

/** Registered SLAs: key -> index into PairCount.good. */
export async function registeredSpecs(sql: Tx): Promise<Map<string, number>> {
  const rows = await sql.unsafe('SELECT id, spec FROM sla_spec ORDER BY id');
  return new Map(rows.map((r) => [r.spec as string, Number(r.id) - 1]));
}

/** Register SLAs not known yet (each site's counts for them appear with its next rollup). */
export async function registerSpecs(
  driver: PgDriver,
  specs: { rtt?: SlaBound; loss?: SlaBound }[],
): Promise<void> {
  await driver.sql.begin(async (tx) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [SPEC_LOCK]);
    const known = await registeredSpecs(tx);
    let next = known.size + 1;
    for (const s of specs) {
      const key = specKey(s.rtt, s.loss);
      if (known.has(key)) continue;
      known.set(key, next - 1);
      await tx.unsafe(
        'INSERT INTO sla_spec (id, spec, rtt_op, rtt_value, loss_op, loss_value) VALUES ($1, $2, $3, $4, $5, $6)',
        [
          next++,
          key,
          s.rtt ? (s.rtt.op === '<=' ? '<=' : '<') : null,
          s.rtt?.value ?? null,
          s.loss ? (s.loss.op === '<=' ? '<=' : '<') : null,
          s.loss?.value ?? null,
        ],
      );
    }
  });
}

/**
 * Per pair with pings sent in a 5-minute bucket at or after `since`: the bucket count, the latest
 * such bucket, and the good buckets per registered SLA; null while some rolled-up site's state is
 * not current (the caller then asks the direct query). With `site`: that site's pairs, and only
 * its state need be current.
 */
export async function pairWindowCounts(
  driver: PgDriver,
  since: number,
  site?: string,
): Promise<{ specs: Map<string, number>; rows: PairCount[] } | null> {
  return driver.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
    const specs = await registeredSpecs(tx);
    const [{ stale }] = await tx.unsafe(
      `SELECT count(*)::int AS stale FROM meta m WHERE m.key LIKE 'rollup:%' AND NOT EXISTS
       (SELECT 1 FROM ping_pair_site s WHERE m.key = 'rollup:' || s.site AND s.wm::text = m.value AND s.specs = $1)
       ${site === undefined ? '' : "AND m.key = 'rollup:' || $2"}`,
      site === undefined ? [specs.size] : [specs.size, site],
    );
    if (stale) return null;
    await tx.unsafe('SET LOCAL jit = off');
    // the first whole hour at or after since; the part-hour before it comes from ping_5m
    const e = Math.ceil(since / HOUR) * HOUR;
    // with a site, every read below is filtered by it (the site is $3, $1 in the short read)
    const only = (n: number) => (site === undefined ? '' : `AND site = $${n}`);
    const sites = await tx.unsafe(
      `SELECT site, lo FROM ping_pair_site WHERE true ${only(1)}`,
      site === undefined ? [] : [site],
    );
    const exact = e === since && sites.every((s) => Number(s.lo) === e);
    const rows = exact
      ? await tx.unsafe(
          `SELECT site, target, buckets, last_ts, good FROM ping_pair WHERE buckets > 0 ${only(1)}`,
          site === undefined ? [] : [site],
        )
      : await tx.unsafe(
          `WITH st AS (SELECT site, lo FROM ping_pair_site WHERE true ${only(3)}),
           pf AS MATERIALIZED (SELECT site, target, ts, sent, received, rtt_median FROM ping_5m WHERE sent > 0 AND ts >= $1 AND ts < $2 ${only(3)}),
           pc AS (SELECT site, target, count(*)::int AS b, max(ts) AS last_ts FROM pf GROUP BY 1, 2),
           pg AS (SELECT site, target, array_agg(n ORDER BY id) AS good FROM
             (SELECT f.site, f.target, s.id, count(*) FILTER (WHERE ${GOOD})::int AS n FROM pf f CROSS JOIN sla_spec s GROUP BY 1, 2, 3) z
             GROUP BY 1, 2),
           x AS MATERIALIZED (SELECT site, target, buckets AS b, last_ts, good, 1 AS sign FROM ping_pair
             WHERE true ${only(3)}
             UNION ALL
             SELECT h.site, h.target, CASE WHEN h.hour < st.lo THEN h.buckets ELSE -h.buckets END,
               CASE WHEN h.hour < st.lo THEN h.last_ts END, h.good, CASE WHEN h.hour < st.lo THEN 1 ELSE -1 END
             FROM ping_pair_hour h JOIN st USING (site)
             WHERE h.hour >= least($2, (SELECT min(lo) FROM st)) AND h.hour < greatest($2, (SELECT max(lo) FROM st))
               AND ((h.hour >= $2 AND h.hour < st.lo) OR (h.hour >= st.lo AND h.hour < $2))
             UNION ALL
             SELECT pc.site, pc.target, pc.b, pc.last_ts, COALESCE(pg.good, '{}'), 1 FROM pc LEFT JOIN pg USING (site, target)),
           xc AS (SELECT site, target, sum(b)::int AS buckets, max(last_ts) AS last_ts FROM x GROUP BY site, target HAVING sum(b) > 0),
           xg AS (${sumArrays('SELECT site, target, good, sign FROM x', 'site, target')})
           SELECT xc.site, xc.target, xc.buckets, xc.last_ts, COALESCE(xg.good, '{}') AS good FROM xc LEFT JOIN xg USING (site, target)`,
          site === undefined ? [since, e] : [since, e, site],
        );
    return {
      specs,
      rows: rows.map((r) => ({
        site: r.site as string,
        target: r.target as string,
        buckets: Number(r.buckets),
        lastTs: Number(r.last_ts),
        good: (r.good as number[]).map(Number),
      })),
    };
  });
}
