/** Every row of the rollup tables, for tests that compare two rollups of the same rounds. */
import type { PgDriver } from '../../src/store/index.js';

export const ROLLUP_TABLES: [string, string][] = [
  ['ping_5m', 'site, target, ts'],
  ['ping_1h', 'site, target, ts'],
  ['ping_pair_hour', 'site, hour, target'],
  ['ping_pair', 'site, target'],
  ['ping_pair_site', 'site'],
];

/**
 * The rows of each table in key order; with sumDigits, rtt_sum to that many digits (a float sum
 * that another algorithm adds in another order); with watermarks, the meta rollup:<site> rows;
 * without: tables left out.
 */
export async function dumpRollups(
  d: PgDriver,
  o: { sumDigits?: number; watermarks?: boolean; without?: string[] } = {},
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [t, order] of ROLLUP_TABLES) {
    if (o.without?.includes(t)) continue;
    const rows = await d.all<Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY ${order}`);
    out[t] = o.sumDigits
      ? rows.map((r) =>
          typeof r.rtt_sum === 'number'
            ? { ...r, rtt_sum: Number(r.rtt_sum.toPrecision(o.sumDigits)) }
            : r,
        )
      : rows;
  }
  if (o.watermarks)
    out.meta = await d.all("SELECT key, value FROM meta WHERE key LIKE 'rollup:%' ORDER BY key");
  return out;
}
