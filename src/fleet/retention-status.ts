/**
 * Which inventory sites decide whether old days can be dropped: without the inventory's
 * retention.raw, a site that has not declared its retention holds dropping back for the grace
 * after it was added (store/pg-retention-grace-sql.ts); after that it is no longer waited for.
 */
import type postgres from 'postgres';
import { RETENTION_GRACE_DEFAULT } from '../store/pg-retention-grace-sql.js';

export interface SilentSite {
  site: string;
  /** When it was added to the inventory, and when its grace ends (epoch seconds). */
  addedAt: number;
  until: number;
}

export interface RetentionStatus {
  /** The inventory's retention.raw: when set, no site holds anything back. */
  fleetRaw: string | null;
  /** Not declared, within the grace: no raw day is dropped for anyone until they speak or it ends. */
  holding: SilentSite[];
  /** Never declared and past the grace: dropping goes on by the sites that did declare. */
  lapsed: SilentSite[];
}

export async function retentionStatus(
  sql: postgres.Sql | postgres.TransactionSql,
  now: number,
): Promise<RetentionStatus> {
  const rows = await sql.unsafe(
    `SELECT f.name AS site, f.created_at AS added,
       f.created_at + COALESCE(hostops_seconds((SELECT value FROM fleet_settings WHERE key = 'retention.grace')), $1) AS until
     FROM fleet_sites f
     WHERE to_regclass('store_retention') IS NULL
       OR NOT EXISTS (SELECT 1 FROM store_retention r WHERE r.site = f.name AND r.raw IS NOT NULL)
     ORDER BY f.name`,
    [RETENTION_GRACE_DEFAULT],
  );
  const fleet = await sql.unsafe(`SELECT value FROM fleet_settings WHERE key = 'retention.raw'`);
  const fleetRaw = (fleet[0]?.value as string | undefined) ?? null;
  const all = rows.map((r) => ({
    site: r.site as string,
    addedAt: Number(r.added),
    until: Number(r.until),
  }));
  return {
    fleetRaw,
    holding: fleetRaw ? [] : all.filter((s) => s.until > now),
    lapsed: fleetRaw ? [] : all.filter((s) => s.until <= now),
  };
}
