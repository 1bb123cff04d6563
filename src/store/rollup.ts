/**
 * Downsampling: raw rounds to 5-minute buckets (exact percentiles over the RTT lists) and 5-minute
 * rows to hourly ones (RRD-style, each percentile averaged weighted by replies). Progress is a
 * watermark on the raw row id per site, so rounds that arrive late (a replayed spool) still land.
 */
import type { Driver, Param } from './driver.js';
import { bucketStart, quantiles } from './stats.js';
import { QCOLS, qvals, parse, type QRow } from './columns.js';

const BATCH_IDS = 50_000;

/** One pass over up to BATCH_IDS new raw rounds of a site, tracked by a raw-id watermark so late (spooled) rows count too. */
export async function rollupOnce(
  driver: Driver,
  site: string,
): Promise<{ buckets: number; more: boolean }> {
  const key = `rollup:${site}`;
  const wmRow = await driver.all<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
  const wm = wmRow.length ? Number(wmRow[0].value) : 0;
  const fresh = await driver.all<{ id: number; target: string; ts: number }>(
    'SELECT id, target, ts FROM ping WHERE site = $1 AND id > $2 ORDER BY id LIMIT $3',
    [site, wm, BATCH_IDS],
  );
  if (!fresh.length) return { buckets: 0, more: false };
  const maxId = Number(fresh[fresh.length - 1].id);
  const touched5 = new Set<string>();
  const touched1h = new Set<string>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of fresh) {
    const b = bucketStart(r.ts, 300);
    touched5.add(`${r.target}\u0000${b}`);
    touched1h.add(`${r.target}\u0000${bucketStart(r.ts, 3600)}`);
    lo = Math.min(lo, b);
    hi = Math.max(hi, b + 300);
  }
  const raw = await driver.all<{
    target: string;
    ts: number;
    sent: number;
    received: number;
    rtts: string;
  }>('SELECT target, ts, sent, received, rtts FROM ping WHERE site = $1 AND ts >= $2 AND ts < $3', [
    site,
    lo,
    hi,
  ]);
  const groups = new Map<
    string,
    { rounds: number; sent: number; received: number; rtts: number[] }
  >();
  for (const r of raw) {
    const k = `${r.target}\u0000${bucketStart(r.ts, 300)}`;
    if (!touched5.has(k)) continue;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { rounds: 0, sent: 0, received: 0, rtts: [] }));
    g.rounds++;
    g.sent += Number(r.sent);
    g.received += Number(r.received);
    for (const x of parse<number[]>(r.rtts, [])) g.rtts.push(x);
  }
  const upsert = (
    table: string,
  ) => `INSERT INTO ${table} (site, target, ts, rounds, sent, received, ${QCOLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
    ON CONFLICT (site, target, ts) DO UPDATE SET rounds = excluded.rounds, sent = excluded.sent, received = excluded.received,
    rtt_min = excluded.rtt_min, rtt_p10 = excluded.rtt_p10, rtt_p25 = excluded.rtt_p25, rtt_median = excluded.rtt_median,
    rtt_p75 = excluded.rtt_p75, rtt_p90 = excluded.rtt_p90, rtt_max = excluded.rtt_max`;
  const stmts: [string, Param[]][] = [];
  for (const [k, g] of groups) {
    const [target, b] = k.split('\u0000');
    stmts.push([
      upsert('ping_5m'),
      [site, target, Number(b), g.rounds, g.sent, g.received, ...qvals(quantiles(g.rtts))],
    ]);
  }
  await driver.batch(stmts);
  // hourly: consolidate the 5-minute rows (RRD-style weighted average of each percentile)
  const hourLo = bucketStart(lo, 3600);
  const hourHi = bucketStart(hi - 1, 3600) + 3600;
  const fives = await driver.all<
    QRow & { target: string; ts: number; rounds: number; sent: number; received: number }
  >(
    `SELECT target, ts, rounds, sent, received, ${QCOLS} FROM ping_5m WHERE site = $1 AND ts >= $2 AND ts < $3`,
    [site, hourLo, hourHi],
  );
  const hours = new Map<string, typeof fives>();
  for (const f of fives) {
    const k = `${f.target}\u0000${bucketStart(f.ts, 3600)}`;
    if (!touched1h.has(k)) continue;
    let h = hours.get(k);
    if (!h) hours.set(k, (h = []));
    h.push(f);
  }
  const hstmts: [string, Param[]][] = [];
  for (const [k, rows] of hours) {
    const [target, b] = k.split('\u0000');
    let rounds = 0,
      sent = 0,
      received = 0;
    for (const r of rows) {
      rounds += Number(r.rounds);
      sent += Number(r.sent);
      received += Number(r.received);
    }
    const wavg = (col: keyof QRow) => {
      let w = 0,
        s = 0;
      for (const r of rows) {
        const v = r[col];
        if (v == null) continue;
        const wt = Number(r.received) || 1;
        w += wt;
        s += v * wt;
      }
      return w ? s / w : null;
    };
    const mins = rows.map((r) => r.rtt_min).filter((x): x is number => x != null);
    const maxs = rows.map((r) => r.rtt_max).filter((x): x is number => x != null);
    hstmts.push([
      upsert('ping_1h'),
      [
        site,
        target,
        Number(b),
        rounds,
        sent,
        received,
        mins.length ? Math.min(...mins) : null,
        wavg('rtt_p10'),
        wavg('rtt_p25'),
        wavg('rtt_median'),
        wavg('rtt_p75'),
        wavg('rtt_p90'),
        maxs.length ? Math.max(...maxs) : null,
      ],
    ]);
  }
  hstmts.push([
    'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, String(maxId)],
  ]);
  await driver.batch(hstmts);
  return { buckets: stmts.length + hstmts.length - 1, more: fresh.length === BATCH_IDS };
}
