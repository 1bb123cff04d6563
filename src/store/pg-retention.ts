/**
 * Fleet retention on PostgreSQL in one statement, so one transaction and one holder of the
 * retention lock: whole old days of raw rounds and of both rollups are dropped for every site by
 * the owner's functions; nothing here deletes rows by site, and no site's short retention decides.
 */
import type { PgDriver } from './pg-driver.js';

const DAY = 86400;
/** Rollup partitions made ahead, as the raw ones (yesterday to 3 days on). */
const DAYS_AHEAD = 3;

export interface FleetRetentionResult {
  /** Days dropped (raw + rollup partitions); -1 when another agent held the lock this time. */
  raw: number;
  rollups: number;
}

export async function fleetRetention(
  driver: PgDriver,
  site: string,
  r: { raw: number; fiveMinute: number; hourly: number },
  now: number,
): Promise<FleetRetentionResult> {
  await driver.all('SELECT hostops_rollup_partitions($1, $2)', [now - DAY, now + DAYS_AHEAD * DAY]);
  const [row] = await driver.all<{ raw: number; rollups: number }>(
    'SELECT hostops_ping_retention($1, $2, $5) AS raw, hostops_rollup_retention($1, $3, $4, $5) AS rollups',
    [site, r.raw, r.fiveMinute, r.hourly, now],
  );
  return { raw: Number(row?.raw ?? 0), rollups: Number(row?.rollups ?? 0) };
}
